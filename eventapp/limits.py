"""Bounds of what organisers may enter, shared by the organiser forms, the API and what
reads the stored programme (the builder, calendars)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

#: Years an event or a programme item may fall in: no odd historical offsets (+00:17:30
#: before 1892), and no date that overflows when turned into UTC or shifted by a day.
FIRST_YEAR, LAST_YEAR = 1970, 2200

#: Seats of an event, a room or a workshop: far above any network day or conference, far
#: below what a database integer holds (2**31 - 1 on PostgreSQL).
MAX_CAPACITY = 100_000


def in_year_window(value: date) -> bool:
    """Whether a date or datetime falls between FIRST_YEAR and LAST_YEAR."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


class OutsideYears(ValueError):
    """A date that would fall outside the years events may take place in."""


def shift_local(instant: datetime, tz: tzinfo, days: int) -> datetime:
    """The same wall-clock time ``days`` later in ``tz`` (where the event takes place;
    DST-safe); OutsideYears when that falls outside FIRST_YEAR..LAST_YEAR."""
    try:
        local = instant.astimezone(tz)
        moved = datetime.combine(local.date() + timedelta(days=days), local.time(), tz)
    except OverflowError as overflow:
        raise OutsideYears(str(overflow)) from None
    if not in_year_window(moved):
        raise OutsideYears(moved.isoformat())
    return moved

"""Bounds of what organisers may enter, shared by the organiser forms, the API and what
reads the stored programme (the builder, calendars)."""

from __future__ import annotations

from datetime import date

#: Years an event or a programme item may fall in: no odd historical offsets (+00:17:30
#: before 1892), and no date that overflows when turned into UTC or shifted by a day.
FIRST_YEAR, LAST_YEAR = 1970, 2200

#: Seats of an event, a room or a workshop: far above any network day or conference, far
#: below what a database integer holds (2**31 - 1 on PostgreSQL).
MAX_CAPACITY = 100_000


def in_year_window(value: date) -> bool:
    """Whether a date or datetime falls between FIRST_YEAR and LAST_YEAR."""
    return FIRST_YEAR <= value.year <= LAST_YEAR

"""A VTIMEZONE as short as the zone's rules allow (RFC 5545, 3.6.5).

A zone's changes are read from the zoneinfo database (which keeps applying the zone's
current rule after its last listed change, 2037 and beyond). Each kind of change (to summer
time, to winter time, a one-off change of offset) becomes one observance: the changes that
follow a yearly rule up to the horizon ("last Sunday of March at 02:00") are written as one
RRULE, so the VTIMEZONE stays right for every later year whatever calendar a client met it
in first; only the older changes the calendar needs, from the year before its first date,
are listed one RDATE a line (ical.js reads only the first date of a list).

For Europe/Brussels from 1997 on that is two observances, some 20 lines, where a list of
every change from 1970 to 2038 took some 300.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from eventapp.limits import FIRST_YEAR, LAST_YEAR

# A yearly rule must hold up to this year to be written as an RRULE (zoneinfo applies the
# zone's last rule for ever: checking it as far as events may go is checking it for good).
HORIZON = LAST_YEAR
_STEP = timedelta(days=7)  # no zone changes its offset twice within a week
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Change:
    """One change of a zone's offset: when (UTC), from which offset to which, and the
    name and kind (summer time or not) of what it changes to."""

    at: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def kind(self) -> tuple[timedelta, timedelta, str, bool]:
        return (self.offset_from, self.offset_to, self.name, self.daylight)

    @property
    def onset(self) -> datetime:
        """The wall-clock time the change happens at, read in the offset before it (as
        DTSTART and RDATE are written)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def pattern(self, last: bool) -> tuple[int, int, int, time]:
        """Month, weekday, which one in the month (-1: the last) and wall-clock time."""
        onset = self.onset
        ordinal = -1 if last else (onset.day - 1) // 7 + 1
        return (onset.month, onset.weekday(), ordinal, onset.time())


def _is_last(onset: datetime) -> bool:
    return onset.day + 7 > calendar.monthrange(onset.year, onset.month)[1]


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()  # type: ignore[return-value]


@lru_cache(maxsize=32)
def zone_changes(tzid: str) -> tuple[Change, ...]:
    """Every change of the zone's offset or name from FIRST_YEAR to HORIZON, in order."""
    zone = ZoneInfo(tzid)
    changes: list[Change] = []
    instant = datetime(FIRST_YEAR - 1, 12, 25, tzinfo=UTC)
    end = datetime(HORIZON + 1, 1, 1, tzinfo=UTC)
    state = _state(zone, instant)
    while instant < end:
        following = instant + _STEP
        new_state = _state(zone, following)
        if new_state != state:
            low, high = instant, following  # the change is in (low, high]
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            at = high.replace(second=0, microsecond=0)
            if _state(zone, at) == state:
                at += timedelta(minutes=1)
            changes.append(Change(at, state[0], new_state[0], new_state[2], bool(new_state[1])))
            state = new_state
        instant = following
    return tuple(changes)


def _yearly_rule(changes: list[Change]) -> tuple[int, tuple[int, int, int, time]] | None:
    """Where a kind of change follows one yearly rule up to HORIZON: the index of the first
    change under that rule, and the rule; None when it does not (a change of the past)."""
    latest = changes[-1]
    if latest.onset.year < HORIZON:
        return None
    best: tuple[int, tuple[int, int, int, time]] | None = None
    for last in (True, False):
        if last and not _is_last(latest.onset):
            continue
        rule = latest.pattern(last)
        start = len(changes) - 1
        while start > 0:
            previous = changes[start - 1]
            if previous.onset.year != changes[start].onset.year - 1:
                break
            if (last and not _is_last(previous.onset)) or previous.pattern(last) != rule:
                break
            start -= 1
        if best is None or start < best[0]:
            best = (start, rule)
    return best


def _observance(change: Change) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if change.daylight else TimezoneStandard()
    observance.add("DTSTART", change.onset)
    observance.add("TZNAME", change.name)
    observance.add("TZOFFSETFROM", change.offset_from)
    observance.add("TZOFFSETTO", change.offset_to)
    return observance


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int) -> Timezone:
    """The VTIMEZONE of ``tzid`` for dates from ``first_year`` on (for good)."""
    start = datetime(max(first_year, FIRST_YEAR) - 1, 1, 1, tzinfo=UTC)
    by_kind: dict[tuple, list[Change]] = defaultdict(list)
    for change in zone_changes(tzid):
        by_kind[change.kind].append(change)
    observances: list[tuple[datetime, TimezoneStandard | TimezoneDaylight]] = []
    for changes in by_kind.values():
        ruled = _yearly_rule(changes)
        listed = changes if ruled is None else changes[: ruled[0]]
        listed = [change for change in listed if change.at >= start]
        if listed:
            observance = _observance(listed[0])
            for change in listed[1:]:
                observance.add("RDATE", change.onset)
            observances.append((listed[0].onset, observance))
        if ruled is not None:
            first = changes[ruled[0]]
            month, weekday, ordinal, _clock = ruled[1]
            observance = _observance(first)
            observance.add(
                "RRULE",
                vRecur(freq="YEARLY", bymonth=month, byday=f"{ordinal}{_WEEKDAYS[weekday]}"),
            )
            observances.append((first.onset, observance))
    earliest = min((onset for onset, _ in observances), default=None)
    if earliest is None or earliest > start.replace(tzinfo=None):
        # Nothing says which offset holds at the start: the zone's state then, as it stays.
        zone = ZoneInfo(tzid)
        offset, dst, name = _state(zone, start)
        opening = TimezoneDaylight() if dst else TimezoneStandard()
        opening.add("DTSTART", (start + offset).replace(tzinfo=None))
        opening.add("TZNAME", name)
        opening.add("TZOFFSETFROM", offset)
        opening.add("TZOFFSETTO", offset)
        observances.append(((start + offset).replace(tzinfo=None), opening))
    timezone = Timezone()
    timezone.add("TZID", tzid)
    for _onset, observance in sorted(observances, key=lambda pair: pair[0]):
        timezone.add_component(observance)
    return timezone


def first_local_year(instants: list[datetime], zone: ZoneInfo) -> int:
    """The earliest year of these instants where the event takes place."""
    years = []
    for instant in instants:
        try:
            years.append(instant.astimezone(zone).year)
        except OverflowError:  # the first or last hours a datetime holds
            years.append(instant.year)
    return min(years, default=FIRST_YEAR)

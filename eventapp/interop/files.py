"""Reading a schedule file (schedule.xml or schedule.json from pretalx, frab or eventapp):
what the `eventapp import` command and the organisers' upload page both do first."""

from __future__ import annotations

from eventapp.interop.c3voc_json import from_json
from eventapp.interop.frab_xml import from_xml
from eventapp.interop.schedule import Schedule, check_schedule

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def read_schedule(data: bytes, timezone: str) -> tuple[Schedule, list[str]]:
    """Parses either format, told apart by the first character that is not blank; refuses
    (ScheduleError) a file with a value that would not be stored as it is."""
    if data.lstrip()[:1] == b"<":
        schedule, refused = from_xml(data, timezone)
    else:
        schedule, refused = from_json(data, timezone)
    check_schedule(schedule)
    return schedule, refused

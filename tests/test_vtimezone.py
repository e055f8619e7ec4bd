"""VTIMEZONEs as short as the zone's rules allow, read right by ical.js and vobject in every
year events may take place in, 2038 and after included; an invitation mail stays small."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, time
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from calendars import BASE_URL, ItemSpec, icaljs, make_event, read_vobject, utc_iso
from regutil import outbox, post_registration, reset_rate_limits

from eventapp.calendar.ics import programme_calendar
from eventapp.calendar.vtimezone import vtimezone, zone_changes
from eventapp.demo import UPCOMING_SLUG, load_demo, load_upcoming_demo
from eventapp.extensions import db
from eventapp.mail import deliver_new
from eventapp.programme import choice_blocks, event_by_slug

# Wall-clock times on both sides of each change of offset, in several kinds of zones: EU
# rules, North American ones, the southern hemisphere, a zone that dropped summer time
# (São Paulo, 2019) and one that never had it.
CASES = {
    "Europe/Brussels": [
        date(2015, 12, 1),
        date(2037, 3, 28),
        date(2037, 3, 30),
        date(2038, 7, 1),
        date(2045, 1, 17),
        date(2045, 7, 11),
        date(2045, 10, 28),
        date(2045, 10, 30),
    ],
    "America/Montreal": [
        date(2016, 3, 12),
        date(2016, 3, 14),
        date(2044, 11, 5),
        date(2044, 11, 7),
    ],
    "Australia/Sydney": [date(2040, 4, 6), date(2040, 4, 8), date(2040, 10, 6), date(2040, 10, 8)],
    "America/Sao_Paulo": [date(2016, 1, 10), date(2016, 7, 10), date(2030, 1, 10)],
    "Asia/Tokyo": [date(2020, 1, 1), date(2050, 7, 1)],
}


def _specs(days: list[date]) -> list[ItemSpec]:
    return [ItemSpec(f"Point {n}", day, time(9, 30), time(10, 30)) for n, day in enumerate(days)]


@pytest.mark.parametrize("zone", sorted(CASES))
def test_every_parser_places_every_year_right(ctx, zone: str) -> None:
    days = CASES[zone]
    event = make_event(zone.lower().replace("/", "-").replace("_", "-"), zone, _specs(days))
    data = programme_calendar(event, BASE_URL)
    expected = [utc_iso(datetime.combine(day, time(9, 30), ZoneInfo(zone))) for day in days]
    assert [e["start"] for e in icaljs(data)["events"]] == expected
    for vevent, day in zip(read_vobject(data).vevent_list, days, strict=True):
        start = vevent.dtstart.value
        assert start.utcoffset() == datetime.combine(day, time(9, 30), ZoneInfo(zone)).utcoffset()
    assert data.count(b"BEGIN:VTIMEZONE") == 1


def test_brussels_in_2045_winter_and_summer(ctx) -> None:
    event = make_event(
        "bruxelles-2045",
        "Europe/Brussels",
        [
            ItemSpec("Hiver", date(2045, 1, 17), time(9), time(10)),
            ItemSpec("Été", date(2045, 7, 11), time(9), time(10)),
        ],
    )
    data = programme_calendar(event, BASE_URL)
    winter, summer = icaljs(data)["events"]
    assert winter["start"] == "2045-01-17T08:00:00.000Z"
    assert summer["start"] == "2045-07-11T07:00:00.000Z"
    offsets = [v.dtstart.value.utcoffset() for v in read_vobject(data).vevent_list]
    assert [offset.total_seconds() / 3600 for offset in offsets] == [1, 2]
    zone = data[data.index(b"BEGIN:VTIMEZONE") : data.index(b"END:VTIMEZONE")].decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in zone
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in zone
    assert len(zone.splitlines()) < 20


def test_changes_follow_zoneinfo() -> None:
    """Each change found is where zoneinfo's offset changes, to the minute."""
    zone = ZoneInfo("Europe/Brussels")
    changes = [c for c in zone_changes("Europe/Brussels") if c.at.year in (2015, 2045)]
    assert [c.at.isoformat() for c in changes] == [
        "2015-03-29T01:00:00+00:00",
        "2015-10-25T01:00:00+00:00",
        "2045-03-26T01:00:00+00:00",
        "2045-10-29T01:00:00+00:00",
    ]
    for change in changes:
        assert change.at.astimezone(zone).utcoffset() == change.offset_to
        before = change.at.replace(minute=59, hour=change.at.hour - 1)
        assert before.astimezone(zone).utcoffset() == change.offset_from


def test_a_zone_whose_rules_ended_lists_only_the_years_needed() -> None:
    text = vtimezone("America/Sao_Paulo", 2016).to_ical().decode()
    assert "RRULE" not in text
    assert "DTSTART:20150222T000000" in text  # the year before
    assert "RDATE:20160221T000000" in text
    assert "2013" not in text
    assert len(vtimezone("America/Sao_Paulo", 1990).to_ical()) > len(text)


def test_the_invitation_of_a_confirmation_weighs_under_10_kb(app, client) -> None:
    """The confirmation of a registration on the upcoming demo day, as delivered."""
    with app.app_context():
        load_demo()
        load_upcoming_demo(datetime(2026, 12, 5, tzinfo=UTC))
        blocks = choice_blocks(event_by_slug(UPCOMING_SLUG))
        picks = [blocks[0].items[0].id, blocks[1].items[2].id]
        db.session.remove()
    mails = Path(app.config["OUTBOX_DIR"])  # shared by the tests of the session
    before = set(mails.glob("*.eml"))
    reset_rate_limits()
    answer = post_registration(client, UPCOMING_SLUG, picks)
    assert answer.status_code == 303
    assert outbox(app, "confirmed")
    with app.app_context():
        deliver_new()
    written = sorted(set(mails.glob("*.eml")) - before)
    assert len(written) == 1
    message = email.message_from_bytes(written[0].read_bytes(), policy=policy.default)
    invitations = [
        part.get_payload(decode=True)
        for part in message.walk()
        if part.get_content_type() in ("text/calendar", "application/ics")
    ]
    assert len(invitations) == 2, "the invitation, inline and attached"
    inline, data = invitations  # the attachment keeps its CRLFs (base64)
    assert inline.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")
    assert len(data) < 10 * 1024, len(data)
    zone = data[data.index(b"BEGIN:VTIMEZONE") : data.index(b"END:VTIMEZONE")]
    assert len(zone) < 1024 and b"RDATE" not in zone
    parsed = icaljs(data)
    assert parsed["timezones"] == ["Europe/Brussels"]
    assert len(parsed["events"]) == 9  # plenaries, breaks and the two chosen workshops
    assert parsed["events"][0]["start"] == "2027-01-05T07:45:00.000Z"

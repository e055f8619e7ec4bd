"""Calendars as calendar clients read them: Mozilla's ical.js (Thunderbird) and vobject."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from calendars import BASE_URL, ItemSpec, icaljs, make_event, read_vobject, utc_iso
from icalendar import Calendar
from sqlalchemy import select

from eventapp.calendar import (
    Attendee,
    Method,
    agenda_items,
    invitation,
    item_calendar,
    personal_calendar,
    programme_calendar,
)
from eventapp.demo import DEMO_SLUG
from eventapp.extensions import db
from eventapp.models import Event, ItemKind, ProgrammeItem
from eventapp.programme import choice_blocks, event_by_slug

BRUSSELS = ZoneInfo("Europe/Brussels")
ALICE = Attendee(name="Alice Dupont", email="alice@example.org")
STAMP = datetime(2015, 11, 20, 9, 0, tzinfo=UTC)


def demo_event() -> Event:
    event = event_by_slug(DEMO_SLUG)
    assert event is not None
    return event


def first_choice_per_round(event: Event) -> list[ProgrammeItem]:
    return [block.workshops[0] for block in choice_blocks(event)]


def assert_all_on_1_december_2015_in_brussels(parsed: dict) -> None:
    assert parsed["timezones"] == ["Europe/Brussels"]
    assert parsed["events"]
    for vevent in parsed["events"]:
        assert vevent["start_zone"] == vevent["end_zone"] == "Europe/Brussels"
        for key in ("start", "end"):
            instant = datetime.fromisoformat(vevent[key].replace("Z", "+00:00"))
            local = instant.astimezone(BRUSSELS)
            assert local.date() == date(2015, 12, 1), vevent
            assert local.utcoffset() == timedelta(hours=1)
        assert vevent["start_local"].startswith("2015-12-01T")


def test_demo_programme_parses_in_icaljs_every_time_on_1_december_2015(ctx, demo) -> None:
    event = demo_event()
    parsed = icaljs(programme_calendar(event, BASE_URL))
    assert_all_on_1_december_2015_in_brussels(parsed)
    assert parsed["name"] == "Journée réseau « Les enfants d'abord »"
    assert parsed["prodid"] == "-//eventapp//eventapp//FR"
    assert parsed["refresh_interval"] == "PT1H"
    assert parsed["method"] is None
    assert [v["summary"] for v in parsed["events"]] == [item.title for item in event.items]
    by_uid = {v["uid"]: v for v in parsed["events"]}
    assert len(by_uid) == len(event.items)
    for item in event.items:
        vevent = by_uid[f"programme-item-{item.id}@127.0.0.1"]
        assert vevent["start"] == utc_iso(item.starts_at)
        assert vevent["end"] == utc_iso(item.ends_at)
        assert vevent["status"] == "CONFIRMED"


def test_demo_item_agenda_and_invitations_parse_in_icaljs_on_1_december_2015(ctx, demo) -> None:
    event = demo_event()
    for item in event.items:
        parsed = icaljs(item_calendar(event, item, BASE_URL))
        assert_all_on_1_december_2015_in_brussels(parsed)
        assert [v["summary"] for v in parsed["events"]] == [item.title]
    chosen = first_choice_per_round(event)
    agenda = personal_calendar(
        event, chosen, registration_cancelled=False, attendee=ALICE, base_url=BASE_URL
    )
    assert_all_on_1_december_2015_in_brussels(icaljs(agenda))
    for method in Method:
        mail = invitation(
            event,
            agenda_items(event, chosen),
            method=method,
            attendee=ALICE,
            base_url=BASE_URL,
            stamp=STAMP,
        )
        assert_all_on_1_december_2015_in_brussels(icaljs(mail))


def test_demo_programme_reads_the_same_in_vobject(ctx, demo) -> None:
    event = demo_event()
    calendar = read_vobject(programme_calendar(event, BASE_URL))
    vevents = calendar.contents["vevent"]
    assert len(vevents) == len(event.items)
    for vevent, item in zip(vevents, event.items, strict=True):
        start = vevent.dtstart.value
        assert start == item.starts_at
        assert start.utcoffset() == timedelta(hours=1)
        assert start.tzname() == "CET"
        assert vevent.summary.value == item.title


def test_workshop_vevent_has_every_field_a_participant_needs(ctx, demo) -> None:
    event = demo_event()
    workshop = next(item for item in event.items if item.kind == ItemKind.WORKSHOP)
    parsed = icaljs(item_calendar(event, workshop, BASE_URL))
    (vevent,) = parsed["events"]
    assert vevent["summary"] == workshop.title
    assert vevent["location"] == (
        f"{workshop.room.name}, SPP Intégration sociale, "
        "Boulevard du Roi Albert II 30, 1000 Bruxelles"
    )
    assert vevent["categories"] == [workshop.theme.title]
    link = f"http://127.0.0.1:5000/events/journee-reseau-2015/#item-{workshop.id}"
    assert vevent["url"] == link
    description = vevent["description"].splitlines()
    assert description[0] == f"Thème {workshop.theme.number}"
    assert "Lara De Jacquier, Coordinatrice-Directrice du Secteur Social, CPAS de Gembloux" in (
        description
    )
    assert description[-1] == link
    assert vevent["uid"] == f"programme-item-{workshop.id}@127.0.0.1"
    assert vevent["sequence"] == 0
    changed = workshop.updated_at.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert vevent["stamp"] == vevent["last_modified"] == changed


def test_uid_follows_the_site_host_not_the_process(ctx, demo) -> None:
    event = demo_event()
    item = event.items[0]
    parsed = icaljs(item_calendar(event, item, "https://events.example.be"))
    assert parsed["events"][0]["uid"] == f"programme-item-{item.id}@events.example.be"
    assert parsed["events"][0]["url"].startswith("https://events.example.be/events/")


def test_same_programme_gives_byte_identical_calendars(app, ctx, demo) -> None:
    first = programme_calendar(demo_event(), BASE_URL)
    db.session.remove()
    with time_machine.travel(datetime(2031, 6, 1, tzinfo=UTC), tick=False):
        again = programme_calendar(demo_event(), BASE_URL)
    assert again == first
    event = demo_event()
    chosen = first_choice_per_round(event)
    agendas = {
        personal_calendar(
            event, chosen, registration_cancelled=False, attendee=ALICE, base_url=BASE_URL
        )
        for _ in range(2)
    }
    assert len(agendas) == 1


def test_event_across_the_march_daylight_saving_change_in_brussels(ctx) -> None:
    sunday = date(2016, 3, 27)  # last Sunday of March 2016: 02:00 CET becomes 03:00 CEST
    event = make_event(
        "printemps",
        "Europe/Brussels",
        [
            ItemSpec("Veille de nuit", sunday, time(1, 0), time(4, 0)),
            ItemSpec("Brunch", sunday, time(11, 0), time(12, 30)),
        ],
    )
    parsed = icaljs(programme_calendar(event, BASE_URL))
    night, brunch = parsed["events"]
    assert (night["start"], night["end"]) == (
        "2016-03-27T00:00:00.000Z",
        "2016-03-27T02:00:00.000Z",
    )
    assert (brunch["start"], brunch["end"]) == (
        "2016-03-27T09:00:00.000Z",
        "2016-03-27T10:30:00.000Z",
    )
    assert night["start_zone"] == brunch["start_zone"] == "Europe/Brussels"
    vevents = read_vobject(programme_calendar(event, BASE_URL)).contents["vevent"]
    start, end = (vevents[0].dtstart.value, vevents[0].dtend.value)
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(hours=1), timedelta(hours=2))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)
    assert vevents[1].dtstart.value.utcoffset() == timedelta(hours=2)


def test_event_across_the_october_daylight_saving_change_in_brussels(ctx) -> None:
    sunday = date(2016, 10, 30)  # last Sunday of October 2016: 03:00 CEST becomes 02:00 CET
    event = make_event(
        "automne",
        "Europe/Brussels",
        [
            ItemSpec("Veille de nuit", sunday, time(1, 0), time(4, 0)),
            ItemSpec("Brunch", sunday, time(11, 0), time(12, 30)),
        ],
    )
    parsed = icaljs(programme_calendar(event, BASE_URL))
    night, brunch = parsed["events"]
    assert (night["start"], night["end"]) == (
        "2016-10-29T23:00:00.000Z",
        "2016-10-30T03:00:00.000Z",
    )
    assert (brunch["start"], brunch["end"]) == (
        "2016-10-30T10:00:00.000Z",
        "2016-10-30T11:30:00.000Z",
    )
    assert night["start_local"] == "2016-10-30T01:00:00"
    vevents = read_vobject(programme_calendar(event, BASE_URL)).contents["vevent"]
    start, end = (vevents[0].dtstart.value, vevents[0].dtend.value)
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(hours=2), timedelta(hours=1))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=4)


def test_three_day_event(ctx) -> None:
    days = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    specs = [ItemSpec(f"Jour {n}", day, time(9, 0), time(17, 0)) for n, day in enumerate(days, 1)]
    specs.append(ItemSpec("Soirée", days[1], time(20, 0), time(2, 0), end_day=days[2]))
    event = make_event("trois-jours", "Europe/Brussels", specs)
    parsed = icaljs(programme_calendar(event, BASE_URL))
    got = {v["summary"]: (v["start"], v["end"]) for v in parsed["events"]}
    assert got == {
        "Jour 1": ("2024-02-28T08:00:00.000Z", "2024-02-28T16:00:00.000Z"),
        "Jour 2": ("2024-02-29T08:00:00.000Z", "2024-02-29T16:00:00.000Z"),
        "Soirée": ("2024-02-29T19:00:00.000Z", "2024-03-01T01:00:00.000Z"),
        "Jour 3": ("2024-03-01T08:00:00.000Z", "2024-03-01T16:00:00.000Z"),
    }


def test_event_in_montreal_keeps_its_own_timezone(ctx) -> None:
    event = make_event(
        "montreal",
        "America/Montreal",
        [
            ItemSpec("Hiver", date(2015, 12, 1), time(9, 0), time(10, 0)),
            ItemSpec("Été", date(2016, 7, 1), time(9, 0), time(10, 0)),
        ],
        venue_address="1455 boul. De Maisonneuve O, Montréal",
    )
    data = programme_calendar(event, BASE_URL)
    assert b"TZID=America/Montreal:20151201T090000" in data
    assert b"Europe/Brussels" not in data
    parsed = icaljs(data)
    assert parsed["timezones"] == ["America/Montreal"]
    winter, summer = parsed["events"]
    assert winter["start"] == "2015-12-01T14:00:00.000Z"
    assert summer["start"] == "2016-07-01T13:00:00.000Z"
    assert winter["start_zone"] == summer["start_zone"] == "America/Montreal"


AWKWARD_TITLE = "Café, « crème » ; déjà-vu\nsecond line \\ backslash — Zürich 日本語"
AWKWARD_SPEAKER = ("Zoë O'Brien; Jr, PhD", "rôle: « œuvre »\nà deux lignes", "Ça, Là; Ici")


def test_accents_commas_semicolons_and_newlines_round_trip_exactly(ctx) -> None:
    event = make_event(
        "ponctuation",
        "Europe/Brussels",
        [
            ItemSpec(
                AWKWARD_TITLE,
                date(2016, 5, 10),
                time(9, 0),
                time(10, 0),
                kind=ItemKind.WORKSHOP,
                room="Salle « Ω », 2e étage; aile B",
                theme="Thème, un; deux\ntrois",
                speakers=[AWKWARD_SPEAKER],
            )
        ],
        venue_address="Place de l'Îlot, 4; Liège",
    )
    data = programme_calendar(event, BASE_URL)
    (vevent,) = icaljs(data)["events"]
    assert vevent["summary"] == AWKWARD_TITLE
    assert vevent["location"] == (
        "Salle « Ω », 2e étage; aile B, Maison des associations, Place de l'Îlot, 4; Liège"
    )
    assert vevent["categories"] == ["Thème, un; deux\ntrois"]
    assert ", ".join(AWKWARD_SPEAKER) in vevent["description"]
    parsed = read_vobject(data).vevent
    assert parsed.summary.value == AWKWARD_TITLE
    assert ", ".join(AWKWARD_SPEAKER) in parsed.description.value


def test_an_item_whose_title_has_a_line_break_still_has_its_own_calendar(ctx) -> None:
    event = make_event(
        "saut-de-ligne",
        "Europe/Brussels",
        [ItemSpec(AWKWARD_TITLE, date(2016, 5, 10), time(9, 0), time(10, 0))],
    )
    [item] = event.items
    data = item_calendar(event, item, BASE_URL)
    (vevent,) = icaljs(data)["events"]
    assert vevent["summary"] == AWKWARD_TITLE  # the event keeps its line break
    read_vobject(data)  # reads without error
    name = Calendar.from_ical(data).calendar_name
    assert name.startswith("Café, « crème » ; déjà-vu second line \\ backslash — Zürich")


def test_lines_folded_at_75_octets_never_inside_a_character(ctx) -> None:
    title = "Atelier « égalité » " + "é日" * 120 + " — fin"
    event = make_event(
        "plie", "Europe/Brussels", [ItemSpec(title, date(2016, 5, 10), time(9, 0), time(10, 0))]
    )
    data = programme_calendar(event, BASE_URL)
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert not any(b"\n" in line or b"\r" in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    summary = next(n for n, line in enumerate(lines) if line.startswith(b"SUMMARY;LANGUAGE=fr:"))
    continued = 0
    while lines[summary + 1 + continued].startswith(b" "):
        continued += 1
    assert continued >= len(f"SUMMARY;LANGUAGE=fr:{title}".encode()) // 75
    for line in lines:
        line.decode("utf-8")  # a split character would not decode
    assert icaljs(data)["events"][0]["summary"] == title


def test_cancelled_item_is_marked_cancelled_not_dropped(ctx, demo) -> None:
    event = demo_event()
    item = event.items[1]
    item.cancelled_at = datetime(2015, 11, 30, 12, tzinfo=UTC)
    db.session.commit()
    parsed = icaljs(programme_calendar(demo_event(), BASE_URL))
    statuses = {v["summary"]: v["status"] for v in parsed["events"]}
    assert statuses[item.title] == "CANCELLED"
    assert list(statuses.values()).count("CANCELLED") == 1
    cancelled = next(v for v in parsed["events"] if v["status"] == "CANCELLED")
    assert cancelled["sequence"] == 1


def test_personal_agenda_holds_plenaries_breaks_and_the_chosen_workshops_only(ctx, demo) -> None:
    event = demo_event()
    chosen = first_choice_per_round(event)
    assert len(chosen) == 2
    parsed = icaljs(
        personal_calendar(
            event, chosen, registration_cancelled=False, attendee=ALICE, base_url=BASE_URL
        )
    )
    uids = [v["uid"] for v in parsed["events"]]
    expected = [
        item
        for item in event.items
        if item.kind != ItemKind.WORKSHOP or item in chosen  # every plenary and break
    ]
    assert uids == [f"programme-item-{item.id}@127.0.0.1" for item in expected]
    workshops = [item for item in event.items if item.kind == ItemKind.WORKSHOP]
    for item in workshops:
        assert (f"programme-item-{item.id}@127.0.0.1" in uids) == (item in chosen)
    assert {v["status"] for v in parsed["events"]} == {"CONFIRMED"}
    assert parsed["name"] == "Journée réseau « Les enfants d'abord » — Alice Dupont"
    # Nobody's address in a feed, not even the person's own.
    assert all(not v["attendees"] and v["organizer"] is None for v in parsed["events"])


def test_cancelled_registration_keeps_its_agenda_all_cancelled(ctx, demo) -> None:
    event = demo_event()
    chosen = first_choice_per_round(event)
    live = icaljs(
        personal_calendar(
            event, chosen, registration_cancelled=False, attendee=ALICE, base_url=BASE_URL
        )
    )
    cancelled = icaljs(
        personal_calendar(
            event, chosen, registration_cancelled=True, attendee=ALICE, base_url=BASE_URL
        )
    )
    assert [v["uid"] for v in cancelled["events"]] == [v["uid"] for v in live["events"]]
    assert {v["status"] for v in cancelled["events"]} == {"CANCELLED"}


def test_invitation_request_then_update_then_cancel(ctx, demo) -> None:
    event = demo_event()
    chosen = first_choice_per_round(event)
    bob = Attendee(name='Bob "le Bricoleur", fils; junior', email="bob@example.org")
    items = agenda_items(event, chosen)

    request = icaljs(
        invitation(
            event, items, method=Method.REQUEST, attendee=bob, base_url=BASE_URL, stamp=STAMP
        )
    )
    assert request["method"] == "REQUEST"
    feed_uids = [v["uid"] for v in icaljs(programme_calendar(event, BASE_URL))["events"]]
    assert [v["uid"] for v in request["events"]] == [
        uid for uid in feed_uids if uid in {f"programme-item-{i.id}@127.0.0.1" for i in items}
    ]
    for vevent in request["events"]:
        assert vevent["organizer"] == {
            "value": "mailto:journee-reseau@example.org",
            "cn": "SPP Intégration sociale",
            "partstat": None,
        }
        assert vevent["attendees"] == [
            {"value": "mailto:bob@example.org", "cn": bob.name, "partstat": "ACCEPTED"}
        ]
        assert vevent["sequence"] == 0
        assert vevent["stamp"] == "2015-11-20T09:00:00.000Z"
        assert vevent["status"] == "CONFIRMED"

    moved = chosen[0]
    moved.starts_at += timedelta(minutes=15)
    db.session.commit()
    update = icaljs(
        invitation(
            event, [moved], method=Method.REQUEST, attendee=bob, base_url=BASE_URL, stamp=STAMP
        )
    )
    (vevent,) = update["events"]
    assert vevent["uid"] == f"programme-item-{moved.id}@127.0.0.1"
    assert vevent["sequence"] == 1
    assert vevent["start"] == utc_iso(moved.starts_at)

    later = STAMP + timedelta(days=1)
    cancel = icaljs(
        invitation(
            event, [moved], method=Method.CANCEL, attendee=bob, base_url=BASE_URL, stamp=later
        )
    )
    assert cancel["method"] == "CANCEL"
    (vevent,) = cancel["events"]
    assert vevent["uid"] == f"programme-item-{moved.id}@127.0.0.1"
    assert vevent["sequence"] == 1
    assert vevent["status"] == "CANCELLED"
    assert vevent["stamp"] == "2015-11-21T09:00:00.000Z"
    assert vevent["organizer"]["value"] == "mailto:journee-reseau@example.org"
    assert vevent["attendees"][0]["value"] == "mailto:bob@example.org"


def test_invitation_reads_in_vobject_with_method_and_addresses(ctx, demo) -> None:
    event = demo_event()
    data = invitation(
        event,
        first_choice_per_round(event),
        method=Method.REQUEST,
        attendee=ALICE,
        base_url=BASE_URL,
        stamp=STAMP,
    )
    calendar = read_vobject(data)
    assert calendar.method.value == "REQUEST"
    for vevent in calendar.contents["vevent"]:
        assert vevent.organizer.value == "mailto:journee-reseau@example.org"
        assert vevent.attendee.value == "mailto:alice@example.org"
        assert vevent.attendee.params["CN"] == ["Alice Dupont"]


def test_invitation_needs_a_contact_address(ctx) -> None:
    event = make_event(
        "sans-contact",
        "Europe/Brussels",
        [ItemSpec("Plénière", date(2016, 5, 10), time(9, 0), time(10, 0))],
        contact_email="",
    )
    with pytest.raises(ValueError, match="no contact address"):
        invitation(
            event,
            event.items,
            method=Method.REQUEST,
            attendee=ALICE,
            base_url=BASE_URL,
            stamp=STAMP,
        )


def test_item_calendar_of_an_empty_programme_is_still_valid(ctx) -> None:
    event = make_event(
        "vide", "Europe/Brussels", [ItemSpec("Seul", date(2016, 5, 10), time(9, 0), time(10, 0))]
    )
    for item in list(event.items):
        db.session.delete(item)
    db.session.commit()
    event = db.session.scalars(select(Event).where(Event.slug == "vide")).one()
    parsed = icaljs(programme_calendar(event, BASE_URL))
    assert parsed["events"] == [] and parsed["name"] == "Journée d'essai"

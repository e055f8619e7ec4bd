"""The calendars are written line by line (eventapp.calendar.ics), yet every byte is the one
icalendar itself gives for the same calendar built from its components: the reference below is
that component-built calendar, serialised by ``Calendar.to_ical()``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from calendars import BASE_URL, ItemSpec, make_event
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Timezone, vCalAddress, vDuration
from icalendar import Event as VEvent
from icalendar.parser import Contentline

from bench.make_large_event import make_large_event
from eventapp.calendar import ics
from eventapp.calendar.ics import (
    REFRESH_INTERVAL,
    Attendee,
    Method,
    agenda_items,
    invitation,
    item_calendar,
    item_description,
    item_location,
    item_uid,
    item_url,
    personal_calendar,
    programme_calendar,
)
from eventapp.calendar.vtimezone import vtimezone
from eventapp.demo import DEMO_SLUG
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)
from eventapp.programme import choice_blocks, published_event

STAMP = datetime(2015, 11, 20, 9, 0, tzinfo=UTC)
ATTENDEES = [
    Attendee(name="Alice Dupont", email="alice@example.org"),
    Attendee(name='Zoë "Zaza" O\'Brien; Jr, PhD: ^tous^', email="zoe+cal@example.be"),
]


# --- The reference: icalendar components, serialised by icalendar ---------------------------


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


def _ordered(items: Iterable[ProgrammeItem]) -> list[ProgrammeItem]:
    return sorted(items, key=lambda item: (item.starts_at, item.ends_at, item.id))


def reference_vevent(
    event: Event,
    item: ProgrammeItem,
    *,
    cancelled: bool = False,
    stamp: datetime | None = None,
) -> VEvent:
    tz = event.tz
    last_change = _utc(item.updated_at)
    component = VEvent.new(
        uid=item_uid(item, BASE_URL),
        stamp=_utc(stamp) if stamp is not None else last_change,
        created=_utc(item.created_at),
        last_modified=last_change,
        sequence=item.sequence,
        start=item.starts_at.astimezone(tz).replace(microsecond=0),
        end=item.ends_at.astimezone(tz).replace(microsecond=0),
        summary=item.title,
        location=item_location(event, item) or None,
        description=item_description(event, item, BASE_URL),
        url=item_url(event, item, BASE_URL),
        categories=[item.theme.title] if item.theme else (),
        status="CANCELLED" if cancelled or item.cancelled_at else "CONFIRMED",
        transparency="TRANSPARENT" if item.kind == ItemKind.BREAK else "OPAQUE",
    )
    # Each text says its language (the event's own, as nothing here is translated).
    component["SUMMARY"].params["LANGUAGE"] = event.language
    component["DESCRIPTION"].params["LANGUAGE"] = event.language
    return component


def reference_timezone(event: Event, items: list[ProgrammeItem]) -> Timezone:
    """The VTIMEZONE component (eventapp.calendar.vtimezone), as icalendar writes it."""
    instants = [event.starts_at, event.ends_at]
    instants += [instant for item in items for instant in (item.starts_at, item.ends_at)]
    first = min(instant.astimezone(event.tz).year for instant in instants)
    return vtimezone(event.timezone, first)


def reference_calendar(
    event: Event,
    name: str,
    components: list[VEvent],
    items: list[ProgrammeItem],
    method: Method | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("PRODID", f"-//eventapp//eventapp//{event.language.upper()}")
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method is not None:
        calendar.add("METHOD", method.value)
    calendar.calendar_name = name
    calendar.add("X-WR-TIMEZONE", event.timezone)
    if method is None:
        calendar.refresh_interval = REFRESH_INTERVAL
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    if components:
        calendar.add_component(reference_timezone(event, items))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()


def reference_programme(event: Event) -> bytes:
    with force_locale(event.language):
        items = _ordered(event.items)
        components = [reference_vevent(event, item) for item in items]
        return reference_calendar(event, event.title, components, items)


def reference_item(event: Event, item: ProgrammeItem) -> bytes:
    with force_locale(event.language):
        components = [reference_vevent(event, item)]
        return reference_calendar(event, f"{item.title} — {event.title}", components, [item])


def reference_personal(
    event: Event, chosen: list[ProgrammeItem], cancelled: bool, attendee: Attendee
) -> bytes:
    with force_locale(event.language):
        items = agenda_items(event, chosen)
        components = [reference_vevent(event, item, cancelled=cancelled) for item in items]
        return reference_calendar(event, f"{event.title} — {attendee.name}", components, items)


def reference_invitation(
    event: Event,
    items: Iterable[ProgrammeItem],
    method: Method,
    attendee: Attendee,
    organizer: str | None = None,
) -> bytes:
    with force_locale(event.language):
        chosen = _ordered(items)
        components = []
        for item in chosen:
            component = reference_vevent(
                event, item, cancelled=method == Method.CANCEL, stamp=STAMP
            )
            sender = vCalAddress(f"mailto:{organizer or event.contact_email}")
            sender.params["CN"] = event.organising_body or event.title
            component.add("ORGANIZER", sender)
            guest = vCalAddress(f"mailto:{attendee.email}")
            guest.params["CN"] = attendee.name
            guest.params["ROLE"] = "REQ-PARTICIPANT"
            guest.params["CUTYPE"] = "INDIVIDUAL"
            guest.params["PARTSTAT"] = "ACCEPTED"
            guest.params["RSVP"] = "FALSE"
            component.add("ATTENDEE", guest)
            components.append(component)
        return reference_calendar(event, event.title, components, chosen, method)


# --- Comparisons -----------------------------------------------------------------------------


def assert_every_calendar_as_icalendar_writes_it(
    event: Event, chosen: list[ProgrammeItem], organizer: str | None = None
) -> int:
    """Every kind of calendar of this event, byte for byte; returns how many were compared."""
    pairs = [(programme_calendar(event, BASE_URL), reference_programme(event))]
    for item in event.items:
        if "\n" in item.title or "\r" in item.title:
            continue  # icalendar refuses a calendar name with a line break (NAME is not TEXT)
        pairs.append((item_calendar(event, item, BASE_URL), reference_item(event, item)))
    for attendee in ATTENDEES:
        for cancelled in (False, True):
            built = personal_calendar(
                event,
                chosen,
                registration_cancelled=cancelled,
                attendee=attendee,
                base_url=BASE_URL,
            )
            pairs.append((built, reference_personal(event, chosen, cancelled, attendee)))
        for method in Method:
            for items in ([chosen[0]], chosen, event.items):
                built = invitation(
                    event,
                    items,
                    method=method,
                    attendee=attendee,
                    base_url=BASE_URL,
                    stamp=STAMP,
                    organizer_email=organizer,
                )
                pairs.append(
                    (built, reference_invitation(event, items, method, attendee, organizer))
                )
    for built, reference in pairs:
        assert built.decode("utf-8").splitlines() == reference.decode("utf-8").splitlines()
        assert built == reference
    return len(pairs)


def test_demo_calendars_are_the_bytes_icalendar_writes(ctx, demo) -> None:
    event = published_event(DEMO_SLUG)
    chosen = [block.workshops[0] for block in choice_blocks(event)]
    assert len(chosen) >= 2
    compared = assert_every_calendar_as_icalendar_writes_it(event, chosen)
    assert compared > len(event.items) + 8
    # icalendar reads them back to the very same bytes
    data = programme_calendar(event, BASE_URL)
    assert Calendar.from_ical(data).to_ical() == data
    one = invitation(
        event, chosen, method=Method.REQUEST, attendee=ATTENDEES[1], base_url=BASE_URL, stamp=STAMP
    )
    assert Calendar.from_ical(one).to_ical() == one


def test_generated_event_calendars_are_the_bytes_icalendar_writes(ctx) -> None:
    make_large_event("generated", items=60, speakers=90, registrations=3)
    event = published_event("generated")
    workshops = [item for item in event.items if item.kind == ItemKind.WORKSHOP]
    assert len(event.items) == 60 and workshops
    assert_every_calendar_as_icalendar_writes_it(event, workshops[:3], "autre@example.org")


# Titles whose fold at 75 octets falls on every octet of a multi-byte character, and on
# escapes (a backslash, a caret, an escaped comma) at the end of a folded piece.
FOLD_TITLES = (
    [pad * "x" + "é日𝄞" * 30 for pad in range(4)]
    + [pad * "y" + "\\" * 80 for pad in range(2)]
    + [pad * "z" + "^,;" * 40 for pad in range(3)]
)


def test_awkward_text_and_folds_are_the_bytes_icalendar_writes(ctx) -> None:
    day = date(2016, 5, 10)
    specs = [
        ItemSpec(
            "Café, « crème » ; déjà-vu\nseconde ligne \\ barre — Zürich 日本語\r\nfin\rici",
            day,
            time(9, 0),
            time(10, 0),
            kind=ItemKind.WORKSHOP,
            room="Salle « Ω », 2e étage; aile B",
            theme="Thème, un; deux\ntrois",
            speakers=[
                ("Zoë O'Brien; Jr, PhD", "rôle: « œuvre »\nà deux lignes", "Ça, Là; Ici"),
                ("Ümit \\N Yılmaz", "", "CPAS de Saint-Josse-ten-Noode " * 4),
                ("Sans rôle", "", ""),
            ],
        ),
        ItemSpec("Pause café", day, time(10, 0), time(10, 30), kind=ItemKind.BREAK),
        ItemSpec("Thème repris", day, time(10, 30), time(11, 0), theme="Thème repris"),
        ItemSpec(
            "Soirée jusqu'au lendemain",
            day,
            time(22, 0),
            time(1, 30),
            room="Salle « Ω », 2e étage; aile B",
            end_day=day + timedelta(days=1),
        ),
    ]
    specs += [
        ItemSpec(title, day, time(11 + n // 4, (n % 4) * 15), time(12 + n // 4, 0), room=f"R{n}")
        for n, title in enumerate(FOLD_TITLES)
    ]
    event = make_event(
        "ponctuation",
        "Europe/Brussels",
        specs,
        venue_address="Place de l'Îlot, 4; Liège",
        title="Journée « ponctuation » ; virgules, points",
    )
    event.organising_body = 'Fédération "Ça; va", ASBL'
    event.items[1].description_md = "Une ligne\n\n* puis une liste, avec ; et \\ \n" * 5
    event.items[3].cancelled_at = datetime(2016, 5, 1, 12, tzinfo=UTC)
    event.items[3].sequence = 7
    db.session.commit()
    event = published_event("ponctuation")
    chosen = [item for item in event.items if item.kind == ItemKind.WORKSHOP]
    assert_every_calendar_as_icalendar_writes_it(event, chosen)


def test_montreal_daylight_saving_weekends_are_the_bytes_icalendar_writes(ctx) -> None:
    event = make_event(
        "montreal",
        "America/Montreal",
        [
            # 13 March 2016 at 02:00 the clocks go forward; 6 November at 02:00, back.
            ItemSpec("Samedi soir", date(2016, 3, 12), time(20, 0), time(23, 30)),
            ItemSpec(
                "Nuit du changement",
                date(2016, 3, 12),
                time(23, 0),
                time(4, 0),
                kind=ItemKind.WORKSHOP,
                room="Salle Jean-Talon",
                end_day=date(2016, 3, 13),
            ),
            ItemSpec("Dimanche", date(2016, 3, 13), time(3, 0), time(9, 0), theme="Nuit"),
            ItemSpec("Heure répétée", date(2016, 11, 6), time(0, 30), time(3, 0), room="Salle 2"),
        ],
        venue_name="Maison du développement durable",
        venue_address="50 rue Sainte-Catherine Ouest, Montréal",
    )
    event.language = "en"
    db.session.commit()
    event = published_event("montreal")
    data = programme_calendar(event, BASE_URL)
    assert b"DTSTART;TZID=America/Montreal:20160312T230000" in data
    assert b"DTEND;TZID=America/Montreal:20160313T040000" in data
    assert b"TZID:America/Montreal" in data
    chosen = [item for item in event.items if item.kind == ItemKind.WORKSHOP]
    assert_every_calendar_as_icalendar_writes_it(event, chosen)


def test_the_timezone_is_written_by_its_rules_whatever_the_year(ctx) -> None:
    """Europe/Brussels has followed the same rules since 1996: a 2041 event and a 2016
    event get the same two observances, an RRULE each, and no list of dates."""
    late = make_event(
        "tard", "Europe/Brussels", [ItemSpec("Plus tard", date(2041, 6, 1), time(9), time(10))]
    )
    early = make_event(
        "tot", "Europe/Brussels", [ItemSpec("Plus tôt", date(2016, 6, 1), time(9), time(10))]
    )
    zones = []
    for slug in ("tard", "tot"):
        event = published_event(slug)
        data = programme_calendar(event, BASE_URL)
        assert data == reference_programme(event)
        zones.append(data[data.index(b"BEGIN:VTIMEZONE") : data.index(b"END:VTIMEZONE")])
    assert zones[0] == zones[1]
    assert zones[0].count(b"RRULE:FREQ=YEARLY") == 2
    assert b"RDATE" not in zones[0]
    assert programme_calendar(late, BASE_URL) != programme_calendar(early, BASE_URL)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab ,;:\\^"é日𝄞ñ')), max_size=400) | st.text())
def test_long_lines_fold_as_icalendar_folds_them(line: str) -> None:
    line = line.replace("\r", "").replace("\n", "")
    assert ics._fold(line.encode("utf-8")) == Contentline(line).to_ical()


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(list('\\;,\n^"é')),
    max_size=120,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=TEXT,
    description=TEXT,
    room=st.none() | TEXT,
    theme=st.none() | TEXT,
    speakers=st.lists(st.tuples(TEXT, TEXT, TEXT), max_size=3),
    person=TEXT,
    event_title=TEXT.map(lambda text: text.replace("\n", " ").replace("\r", " ")),
    sequence=st.integers(min_value=0, max_value=2**31 - 1),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 365 * 30),
    zone=st.sampled_from(["Europe/Brussels", "America/Montreal", "Asia/Kolkata", "UTC"]),
    kind=st.sampled_from(list(ItemKind)),
)
def test_any_text_and_time_give_the_bytes_icalendar_writes(
    ctx,
    title,
    description,
    room,
    theme,
    speakers,
    person,
    event_title,
    sequence,
    minutes,
    zone,
    kind,
) -> None:
    """Items that are never stored: any text a form could let through, any time."""
    starts = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    event = Event(
        slug="libre",
        title=event_title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone=zone,
        venue_name="Lieu",
        venue_address="",
        contact_email="contact@example.org",
        organising_body="",
        status=EventStatus.PUBLISHED,
        language="fr",
        updated_at=starts,
    )
    item = ProgrammeItem(
        id=42,
        kind=kind,
        title=title,
        description_md=description,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        room=Room(event=event, name=room) if room is not None else None,
        theme=Theme(event=event, number=3, title=theme) if theme is not None else None,
        sequence=sequence,
        created_at=starts - timedelta(days=40, seconds=7),
        updated_at=starts - timedelta(days=1, microseconds=5),
    )
    item.speaker_links = [
        ItemSpeaker(speaker=Speaker(name=n, role=r, organisation=o), position=p)
        for p, (n, r, o) in enumerate(speakers)
    ]
    event.items = [item]
    attendee = Attendee(name=person, email="x@example.org")
    assert programme_calendar(event, BASE_URL) == reference_programme(event)
    for method in Method:
        built = invitation(
            event, [item], method=method, attendee=attendee, base_url=BASE_URL, stamp=STAMP
        )
        assert built == reference_invitation(event, [item], method, attendee)
    db.session.expunge_all()

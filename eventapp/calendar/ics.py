"""iCalendar (RFC 5545) and iTIP (RFC 5546) objects, as pure functions of the models.

One writer, :func:`item_vevent`, makes the VEVENT of every calendar the app gives out: the
whole programme, one item, a person's agenda and the invitations mailed to them. Nothing here
reads the clock, the request or the database: the same programme gives the same bytes, so
feeds can be compared, cached and answered with 304.

The bytes are exactly those of icalendar's ``Calendar.to_ical()`` (tests/test_calendar_bytes.py
compares them with a calendar built from icalendar components), but written line by line:
every value is written by icalendar's own escaping, property types and parameters (or, for
TEXT, integers and URIs, the very expression those types use), with no component, no
property lookup and no re-sorting per item; the VTIMEZONE and the calendar's head are
serialised once per zone, span and title.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from urllib.parse import quote, urlsplit

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from icalendar import (
    Calendar,
    Component,
    vCalAddress,
    vCategory,
    vDDDTypes,
    vDuration,
)
from icalendar import Event as VEvent
from icalendar.caselessdict import canonsort_keys
from icalendar.parser import _escape_char  # what vText.to_ical() escapes with

from eventapp.calendar.vtimezone import first_local_year, vtimezone
from eventapp.models import Event, ItemKind, ProgrammeItem
from eventapp.models.translated import language_codes

# How often a subscribed client should come back (RFC 7986 REFRESH-INTERVAL); the feeds
# answer 304 when nothing changed, so asking often costs little.
REFRESH_INTERVAL = timedelta(hours=1)


class Method(enum.StrEnum):
    """The iTIP methods the app sends: an invitation (or its update) and a cancellation."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Attendee:
    """The participant an agenda or an invitation is made for."""

    name: str
    email: str


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def item_uid(item: ProgrammeItem, base_url: str) -> str:
    """The item's UID: its database id and the site's host, so the same on every rebuild."""
    return f"programme-item-{item.id}@{_host(base_url)}"


def event_url(event: Event, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/events/{quote(event.slug)}/"


def item_url(event: Event, item: ProgrammeItem, base_url: str) -> str:
    return f"{event_url(event, base_url)}#item-{item.id}"


def calendar_language(event: Event, lang: str | None) -> str:
    """The language a calendar is written in: ``lang`` when the event declares it, else the
    event's first language. ``event``: the Event, or a row of its columns with ``languages``."""
    languages = language_codes(event.languages)
    return lang if lang in languages else languages[0]


def item_location(
    event: Event, item: ProgrammeItem, lang: str | None = None, venue: tuple[str, str] | None = None
) -> str:
    """Room, venue and its address (in ``lang``, the current language by default), leaving
    out what is empty. ``venue``: the event's :func:`_venue` in that language, when known."""
    lang = lang or str(get_locale())
    venue_name, venue_address = venue or _venue(event, lang)
    parts = (item.room.text("name", lang) if item.room else "", venue_name, venue_address)
    seen: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return ", ".join(seen)


def _venue(event: Event, lang: str) -> tuple[str, str]:
    return event.text("venue_name", lang), event.text("venue_address", lang)


def theme_label(item: ProgrammeItem, lang: str | None = None) -> str:
    """The theme as the programme page names it (« Thème 2 : … »), or an empty string."""
    theme = item.theme
    if theme is None:
        return ""
    lang = lang or str(get_locale())
    title = theme.text("title", lang)
    return _theme_label(lang, theme.number, title, theme.title == item.title)


# A calendar asks for the same few labels once per item: each is translated once per
# language (the language is part of the key; the catalogues do not change while running).
@lru_cache(maxsize=1024)
def _theme_label(language: str, number: int, title: str, named_like_item: bool) -> str:
    if named_like_item:
        return _("Thème %(number)s", number=number)
    return _("Thème %(number)s : %(title)s", number=number, title=title)


@lru_cache(maxsize=8)
def _speakers_heading(language: str) -> str:
    return _("Intervenant(s)")


def item_description(
    event: Event, item: ProgrammeItem, base_url: str, lang: str | None = None
) -> str:
    """Theme, what the item is about, its speakers ("Name, role, organisation") and its link."""
    lang = lang or str(get_locale())
    paragraphs = [theme_label(item, lang), item.text("description_md", lang).strip()]
    if item.speakers:
        bylines = "\n".join(speaker.byline_in(lang) for speaker in item.speakers)
        paragraphs.append(f"{_speakers_heading(lang)} :\n{bylines}")
    paragraphs.append(item_url(event, item, base_url))
    return "\n\n".join(p for p in paragraphs if p)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


def _content_line(name: str, value: object) -> str:
    """One property as icalendar writes it (``Contentline.from_parts``): name, its
    parameters when it has any, and the value in its type's form."""
    params = value.params.to_ical().decode()  # type: ignore[attr-defined]
    text = _decoded(value.to_ical())  # type: ignore[attr-defined]
    return f"{name};{params}:{text}" if params else f"{name}:{text}"


@lru_cache(maxsize=4096)
def _date_time(name: str, instant: datetime, zone: tzinfo | None) -> str:
    """A DATE-TIME property line (``DTSTART;TZID=Europe/Brussels:20151201T093000``, or in UTC
    ``DTSTAMP:20151120T090000Z``). Programmes repeat the same few instants, so each is
    written once; the zone is part of the key, as equal instants in two zones read apart."""
    return _content_line(name, vDDDTypes(instant))


def _decoded(value: bytes) -> str:
    """As icalendar decodes a value it writes (UTF-8 "sig": a leading byte-order mark is
    dropped), without the slower codec."""
    return value.decode().removeprefix("\ufeff")


def _text(name: str, value: str, language: str | None = None) -> str:
    """A TEXT property; ``language``: its LANGUAGE parameter (RFC 5545 3.2.10). The value
    as ``vText(value).to_ical()`` writes it, decoded (:func:`_decoded`), without building
    the vText."""
    head = f"{name};LANGUAGE={language}" if language else name
    return f"{head}:{_escape_char(value).removeprefix(_BOM)}"


_BOM = "\ufeff"


_ESCAPES = b"\\^"  # how TEXT escapes (backslash) and RFC 6868 ones (caret) begin


def _fold(line: bytes) -> bytes:
    """The line folded as icalendar folds it (``Contentline.to_ical``), on the octets.

    Each piece holds at most 74 octets and never ends inside a character; a piece whose
    last character starts an escape (``\\`` or ``^``) leaves it to the next piece, so no
    client reads half an escape.
    """
    pieces = []
    start, size = 0, len(line)
    while size - start > 74:
        end = start + 74
        while 0x80 <= line[end] < 0xC0:  # inside a UTF-8 character: end before it
            end -= 1
        if line[end - 1] in _ESCAPES:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return b"\r\n ".join(pieces)


def _serialise(lines: Iterable[str]) -> bytes:
    """Content lines as icalendar's ``to_ical()`` writes them, CRLF after each, the long
    ones folded."""
    out = [_fold(line.encode("utf-8")) for line in lines]
    out.append(b"")
    return b"\r\n".join(out)


def item_vevent(
    event: Event,
    item: ProgrammeItem,
    base_url: str,
    *,
    cancelled: bool = False,
    stamp: datetime | None = None,
    parties: Iterable[tuple[str, vCalAddress]] = (),
    sequence: int | None = None,
    lang: str | None = None,
    venue: tuple[str, str] | None = None,
) -> bytes:
    """The VEVENT of one programme item, in the event's own timezone, as content lines.

    ``cancelled`` marks it cancelled even when the item itself still takes place (the
    person's registration was cancelled, or the item left their agenda). ``stamp`` is the
    DTSTAMP; it defaults to the item's last change so that feeds do not depend on the clock.
    ``parties`` are the scheduling properties of an invitation (ORGANIZER, ATTENDEE).
    ``sequence`` is the SEQUENCE for one person (see eventapp.calendar.notify.assign_sequences);
    the item's own by default. ``lang``: the current language, and ``venue``: the event's
    :func:`_venue` in it, when the caller writes many items (read once, not per item).

    The properties come in icalendar's order: VEVENT's canonical ones first, then the
    others by name.
    """
    tz = event.tz
    last_change = _utc(item.updated_at)
    start = item.starts_at.astimezone(tz).replace(microsecond=0)
    end = item.ends_at.astimezone(tz).replace(microsecond=0)
    stamp = _utc(stamp) if stamp is not None else last_change
    lang = lang or str(get_locale())
    location = item_location(event, item, lang, venue)
    url = item_url(event, item, base_url)
    title = item.text("title", lang)
    described = item.text("description_md", lang) if item.description_md.strip() else title
    properties = {
        "SUMMARY": _text("SUMMARY", title, title.lang),
        "DTSTART": _date_time("DTSTART", start, start.tzinfo),
        "DTEND": _date_time("DTEND", end, end.tzinfo),
        "DTSTAMP": _date_time("DTSTAMP", stamp, UTC),
        "UID": _text("UID", item_uid(item, base_url)),
        # As vInt and vUri write them (str(); the text as it is): no type object per item.
        "SEQUENCE": f"SEQUENCE:{int(item.sequence if sequence is None else sequence)}",
        "CREATED": _date_time("CREATED", _utc(item.created_at), UTC),
        "LAST-MODIFIED": _date_time("LAST-MODIFIED", last_change, UTC),
        "DESCRIPTION": _text(
            "DESCRIPTION", item_description(event, item, base_url, lang), described.lang
        ),
        "URL": f"URL:{url}",
        "STATUS": "STATUS:CANCELLED" if cancelled or item.cancelled_at else "STATUS:CONFIRMED",
        "TRANSP": "TRANSP:TRANSPARENT" if item.kind == ItemKind.BREAK else "TRANSP:OPAQUE",
    }
    if location:
        properties["LOCATION"] = _text("LOCATION", location)
    if item.theme:
        categories = vCategory([item.theme.text("title", lang)])
        properties["CATEGORIES"] = _content_line("CATEGORIES", categories)
    for name, value in parties:
        properties[name] = _content_line(name, value)
    lines = (properties[name] for name in canonsort_keys(properties, VEvent.canonical_order))
    return _serialise(["BEGIN:VEVENT", *lines, "END:VEVENT"])


def _timezone(event: Event, items: list[ProgrammeItem]) -> bytes:
    """The VTIMEZONE of the event's zone (eventapp.calendar.vtimezone): its yearly rules as
    RRULEs, and the older changes listed from the year before the calendar's first date.
    It depends on the event only, so the same input gives the same bytes; and being right
    for every later year, a client that keeps the first VTIMEZONE it meets for a TZID
    (vobject does) places every later calendar's times right too."""
    instants = [event.starts_at, event.ends_at]
    instants += [instant for item in items for instant in (item.starts_at, item.ends_at)]
    return _vtimezone(event.timezone, first_local_year(instants, event.tz))


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int) -> bytes:
    """Written once per zone and first year: a pure function of the zoneinfo database."""
    return _serialise(_lines(vtimezone(tzid, first_year)))


def _lines(component: Calendar | Component) -> Iterator[str]:
    return (line for line in component.content_lines() if line)


@lru_cache(maxsize=256)
def _head(language: str, name: str, tzid: str, method: Method | None) -> bytes:
    """The VCALENDAR's own properties, up to its first component (the same for every
    calendar of this title and kind)."""
    calendar = Calendar()
    calendar.add("PRODID", f"-//eventapp//eventapp//{language.upper()}")
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method is not None:
        calendar.add("METHOD", method.value)
    # A calendar's name is one line (titles may hold a line break: a schedule import, the API).
    calendar.calendar_name = name.replace("\r", " ").replace("\n", " ")
    calendar.add("X-WR-TIMEZONE", tzid)
    if method is None:
        # A feed to subscribe to: tell clients how often to look again.
        calendar.refresh_interval = REFRESH_INTERVAL
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    *head, end = _lines(calendar)
    assert end == "END:VCALENDAR"
    return _serialise(head)


def _ordered(items: Iterable[ProgrammeItem]) -> list[ProgrammeItem]:
    return sorted(items, key=lambda item: (item.starts_at, item.ends_at, item.id))


def _calendar(
    event: Event,
    name: str,
    vevents: list[bytes],
    items: list[ProgrammeItem],
    *,
    method: Method | None = None,
) -> bytes:
    """The calendar around these VEVENTs (from :func:`item_vevent`), with the VTIMEZONE
    their times refer to."""
    parts = [_head(str(get_locale()), name, event.timezone, method)]
    if vevents:
        parts.append(_timezone(event, items))
    parts += vevents
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def programme_calendar(
    event: Event,
    base_url: str,
    lang: str | None = None,
    items: Iterable[ProgrammeItem] | None = None,
) -> bytes:
    """The whole programme, cancelled items included (marked CANCELLED), in ``lang`` (see
    :func:`calendar_language`). ``items``: the event's items (or their plain rows,
    eventapp.programme.programme_entries); ``event.items`` when not given."""
    lang = calendar_language(event, lang)
    with force_locale(lang):
        items = _ordered(event.items if items is None else items)
        venue = _venue(event, lang)
        vevents = [item_vevent(event, item, base_url, lang=lang, venue=venue) for item in items]
        return _calendar(event, event.text("title", lang), vevents, items)


def item_calendar(
    event: Event, item: ProgrammeItem, base_url: str, lang: str | None = None
) -> bytes:
    """One item alone, for an "add to my calendar" link."""
    lang = calendar_language(event, lang)
    with force_locale(lang):
        vevents = [item_vevent(event, item, base_url)]
        name = f"{item.text('title', lang)} — {event.text('title', lang)}"
        return _calendar(event, name, vevents, [item])


def agenda_items(event: Event, chosen_workshops: Iterable[ProgrammeItem]) -> list[ProgrammeItem]:
    """What a participant attends: every plenary and break, and their chosen workshops only."""
    chosen = {item.id for item in chosen_workshops}
    return _ordered(
        item for item in event.items if item.kind != ItemKind.WORKSHOP or item.id in chosen
    )


def personal_calendar(
    event: Event,
    chosen_workshops: Iterable[ProgrammeItem],
    *,
    registration_cancelled: bool,
    attendee: Attendee,
    base_url: str,
    waitlisted: bool = False,
    sequences: Mapping[int, int] | None = None,
    lang: str | None = None,
) -> bytes:
    """A participant's own agenda (their feed), in their language (``lang``). When their
    registration is cancelled the
    feed stays, with every item CANCELLED, so that subscribed clients remove them.

    While the registration is ``waitlisted`` the feed holds no item at all. It must not
    claim a seat the person does not have, and a waitlisted registration holds none, not
    even in the plenaries (the event's capacity counts confirmed people only). The items
    are left out rather than marked TENTATIVE: no invitation is mailed to a waitlisted
    person either (eventapp.calendar.notify), so feed and mails agree, and on promotion
    the items arrive CONFIRMED in both at once, without an earlier TENTATIVE copy of the
    same UIDs whose change of STATUS clients would have to reconcile.

    ``sequences`` gives each item's SEQUENCE for this person (the one their mails carried,
    see eventapp.calendar.notify.assign_sequences); the item's own for the others.

    It names the person in its title only: no other participant's data, no scheduling
    properties (those belong to the invitations mailed with :func:`invitation`).
    """
    sequences = sequences or {}
    lang = calendar_language(event, lang)
    with force_locale(lang):
        items = [] if waitlisted else agenda_items(event, chosen_workshops)
        vevents = [
            item_vevent(
                event,
                item,
                base_url,
                cancelled=registration_cancelled,
                sequence=sequences.get(item.id),
            )
            for item in items
        ]
        name = f"{event.text('title', lang)} — {attendee.name}"
        return _calendar(event, name, vevents, items)


def _mailto(email: str) -> str:
    return f"mailto:{email}"


def invitation(
    event: Event,
    items: Iterable[ProgrammeItem],
    *,
    method: Method,
    attendee: Attendee,
    base_url: str,
    stamp: datetime,
    organizer_email: str | None = None,
    sequences: Mapping[int, int] | None = None,
    lang: str | None = None,
) -> bytes:
    """An iTIP message for one participant about these items (RFC 5546), in their language
    (``lang``).

    ``sequences``: each item's SEQUENCE for this participant (see
    eventapp.calendar.notify.assign_sequences); the item's own when not given.

    REQUEST invites them (or updates their copy: same UID, the item's SEQUENCE); CANCEL
    removes the items from their calendar. ORGANIZER is the event's contact address,
    ATTENDEE the participant, already accepted (they registered), so clients add the items
    without asking for a reply. ``stamp`` is the message's DTSTAMP, the time the mail is
    made: of two messages with the same SEQUENCE, clients keep the later one.

    Outlook reads only the first VEVENT of an invitation: to reach it, call this once per
    item and attach each result.
    """
    organizer = organizer_email or event.contact_email
    if not organizer:
        raise ValueError(f"event {event.slug!r} has no contact address to send invitations from")
    lang = calendar_language(event, lang)
    sender = vCalAddress(_mailto(organizer))
    sender.params["CN"] = event.text("organising_body", lang) or event.text("title", lang)
    guest = vCalAddress(_mailto(attendee.email))
    guest.params["CN"] = attendee.name
    guest.params["ROLE"] = "REQ-PARTICIPANT"
    guest.params["CUTYPE"] = "INDIVIDUAL"
    guest.params["PARTSTAT"] = "ACCEPTED"
    guest.params["RSVP"] = "FALSE"
    parties = [("ORGANIZER", sender), ("ATTENDEE", guest)]
    with force_locale(lang):
        chosen = _ordered(items)
        vevents = [
            item_vevent(
                event,
                item,
                base_url,
                cancelled=method == Method.CANCEL,
                stamp=stamp,
                parties=parties,
                sequence=(sequences or {}).get(item.id),
            )
            for item in chosen
        ]
        return _calendar(event, event.text("title", lang), vevents, chosen, method=method)


def calendar_last_modified(event: Event, items: Iterable[ProgrammeItem]) -> datetime:
    """The latest change of the event or of these items (for HTTP Last-Modified)."""
    return max([_utc(event.updated_at)] + [_utc(item.updated_at) for item in items])

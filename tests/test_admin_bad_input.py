"""Bad input in the organiser area: a message beside the field, nothing stored, no 500;
and what an older import may have stored (year 9999) does not break the builder or the
calendar."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from helpers import visible_text
from regutil import outbox
from test_admin_dashboard import _event, _register
from test_admin_support import accounts_fixture, build_event, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    ItemKind,
    ProgrammeItem,
    Room,
    SentMailing,
    Speaker,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(name="event_id")
def event_id_fixture(app, client, accounts) -> int:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        db.session.remove()
    login(client, "alice@example.org")
    return event_id


def _error(page, field: str) -> str:
    """The message shown beside a field."""
    assert f'id="{field}-error"' in page.text, visible_text(page.text)[:600]
    return visible_text(page.text.split(f'id="{field}-error"')[1].split("</")[0].split(">", 1)[1])


def _count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**where))


def _item(**fields) -> dict:
    return {
        "kind": "workshop",
        "title": "Atelier",
        "starts_at": "2030-05-10T11:00",
        "ends_at": "2030-05-10T12:00",
        "room_id": "0",
        "theme_id": "0",
        "speakers": "",
        **fields,
    }


def _event_form(**fields) -> dict:
    return {
        "title": "Journée 2031",
        "slug": "journee-2031",
        "starts_at": "2031-05-10T09:00",
        "ends_at": "2031-05-10T17:00",
        "timezone": "Europe/Brussels",
        **fields,
    }


# --- capacities ----------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [str(10**30), str(2**63), str(2**31), "100001"])
def test_a_room_capacity_beyond_100000_is_refused(app, client, event_id, capacity) -> None:
    url = f"/admin/events/{event_id}/rooms"
    before = _count(app, Room)
    page = post(client, url, {"name": "Hall", "capacity": capacity}, token_from=url)
    assert page.status_code == 400
    assert _error(page, "capacity") == "100 000 au plus."
    assert _count(app, Room) == before


@pytest.mark.parametrize(
    ("language", "message"), [("en", "At most 100,000."), ("nl", "Hoogstens 100.000.")]
)
def test_the_limit_is_written_the_way_its_language_writes_numbers(
    app, client, event_id, language, message
) -> None:
    client.set_cookie("lang", language)
    url = f"/admin/events/{event_id}/rooms"
    page = post(client, url, {"name": "Hall", "capacity": "100001"}, token_from=url)
    assert page.status_code == 400
    assert _error(page, "capacity") == message


def test_the_largest_capacity_is_accepted(app, client, event_id) -> None:
    url = f"/admin/events/{event_id}/rooms"
    page = post(client, url, {"name": "Stade", "capacity": "100000"}, token_from=url)
    assert page.status_code == 303
    assert _count(app, Room, name="Stade", capacity=100_000) == 1


def test_event_and_item_capacities_beyond_100000_are_refused(app, client, event_id) -> None:
    events = _count(app, Event)
    page = post(client, "/admin/events/new", _event_form(capacity=str(10**30)))
    assert page.status_code == 400 and _error(page, "capacity") == "100 000 au plus."
    assert _count(app, Event) == events

    url = f"/admin/events/{event_id}/items/new"
    items = _count(app, ProgrammeItem)
    page = post(client, url, _item(capacity=str(10**25)), token_from=url)
    assert page.status_code == 400 and _error(page, "capacity") == "100 000 au plus."
    assert _count(app, ProgrammeItem) == items


# --- speakers of an item ---------------------------------------------------------------


def test_a_speaker_number_beyond_any_id_is_refused(app, client, event_id) -> None:
    url = f"/admin/events/{event_id}/items/new"
    items = _count(app, ProgrammeItem)
    page = post(client, url, _item(speakers="Foo #99999999999999999999999"), token_from=url)
    assert page.status_code == 400
    assert _error(page, "speakers") == "Aucun intervenant n°99999999999999999999999."
    assert _count(app, ProgrammeItem) == items


def test_a_new_speaker_name_over_200_characters_is_refused_not_cut(app, client, event_id):
    url = f"/admin/events/{event_id}/items/new"
    speakers = _count(app, Speaker)
    page = post(client, url, _item(speakers="Ada Lovelace\n" + "N" * 201), token_from=url)
    assert page.status_code == 400
    assert _error(page, "speakers") == f"Nom trop long (200 caractères au plus) : « {'N' * 40}… »."
    assert _count(app, Speaker) == speakers
    page = post(client, url, _item(speakers="N" * 200), token_from=url)
    assert page.status_code == 303
    assert _count(app, Speaker, name="N" * 200) == 1


# --- dates -----------------------------------------------------------------------------


def test_an_event_outside_1970_to_2200_is_refused(app, client, event_id) -> None:
    events = _count(app, Event)
    late = _event_form(
        timezone="Etc/GMT+12", starts_at="9999-12-31T20:00", ends_at="9999-12-31T23:00"
    )
    page = post(client, "/admin/events/new", late)
    assert page.status_code == 400
    assert _error(page, "starts_at") == "Une date entre 1970 et 2200."
    assert _error(page, "ends_at") == "Une date entre 1970 et 2200."
    early = _event_form(
        timezone="Etc/GMT-14", starts_at="0001-01-01T00:00", ends_at="0001-01-01T05:00"
    )
    assert post(client, "/admin/events/new", early).status_code == 400
    assert _count(app, Event) == events
    # The last evening of 2200 west of UTC is 2201 in UTC: accepted, and shown.
    last = _event_form(
        slug="fin-2200",
        timezone="Etc/GMT+12",
        starts_at="2200-12-31T20:00",
        ends_at="2200-12-31T23:00",
    )
    created = post(client, "/admin/events/new", last)
    assert created.status_code == 303
    assert client.get(created.headers["Location"]).status_code == 200


def test_an_item_in_year_9999_is_refused_and_the_programme_still_shows(app, client, event_id):
    url = f"/admin/events/{event_id}/items/new"
    items = _count(app, ProgrammeItem)
    page = post(
        client, url, _item(starts_at="9999-12-31T22:00", ends_at="9999-12-31T23:59"), token_from=url
    )
    assert page.status_code == 400
    assert _error(page, "starts_at") == "Une date entre 1970 et 2200."
    assert _count(app, ProgrammeItem) == items
    assert client.get(f"/admin/events/{event_id}/programme").status_code == 200


def test_a_new_item_link_with_an_odd_start_opens_at_the_events_start(client, event_id) -> None:
    page = client.get(f"/admin/events/{event_id}/items/new?start=9999-12-31T23:30&room=1")
    assert page.status_code == 200
    assert re.search(r'name="starts_at"[^>]*value="2030-05-10T09:00"', page.text)
    assert re.search(r'name="ends_at"[^>]*value="2030-05-10T10:00"', page.text)


def test_a_duplicate_outside_1970_to_2200_is_refused(app, client, event_id) -> None:
    url = f"/admin/events/{event_id}/duplicate"
    events = _count(app, Event)
    page = post(client, url, {"starts_on": "9999-12-31", "slug": "copie-9999"}, token_from=url)
    assert page.status_code == 400
    assert _error(page, "starts_on") == "Une date entre 1970 et 2200."
    # One item stored far from its event (an old import): the copy would carry it past 2200.
    with app.app_context():
        event = db.session.get(Event, event_id)
        far = datetime(2199, 5, 10, 9, 0, tzinfo=BRUSSELS)
        event.items.append(
            ProgrammeItem(
                kind=ItemKind.PLENARY, title="Loin", starts_at=far, ends_at=far.replace(hour=10)
            )
        )
        db.session.commit()
    page = post(client, url, {"starts_on": "2100-05-10", "slug": "copie-2100"}, token_from=url)
    assert page.status_code == 400
    assert _error(page, "starts_on") == (
        "À cette date, la copie ou un élément de son programme tomberait hors des années "
        "1970 à 2200."
    )
    assert _count(app, Event) == events
    assert _count(app, ProgrammeItem, title="Loin") == 1


def test_the_builder_and_calendar_survive_a_stored_year_9999(app, client, event_id) -> None:
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.status = EventStatus.PUBLISHED
        slug = event.slug
        for title, start in (
            ("Très tard", datetime(9999, 12, 31, 22, 0, tzinfo=BRUSSELS)),
            ("Très tôt", datetime(1, 1, 1, 10, 0, tzinfo=BRUSSELS)),
        ):
            event.items.append(
                ProgrammeItem(
                    kind=ItemKind.PLENARY,
                    title=title,
                    starts_at=start,
                    ends_at=start.replace(hour=start.hour + 1),
                )
            )
        db.session.commit()
    programme = client.get(f"/admin/events/{event_id}/programme")
    assert programme.status_code == 200
    text = visible_text(programme.text)
    assert "Très tard" in text and "Ouverture" in text  # listed, to be moved or deleted
    feed = client.get(f"/events/{slug}/calendar.ics")
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.data)
    summaries = {str(vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT")}
    assert {"Très tard", "Très tôt", "Ouverture"} <= summaries


# --- control characters ----------------------------------------------------------------

ONE_LINE = "Une seule ligne, sans caractère de contrôle."
MULTI_LINE = (
    "Caractère de contrôle refusé (seuls la tabulation et les retours à la ligne sont admis)."
)


@pytest.mark.parametrize("bad", ["R\x00x", "esc\x1b[31m", "a\r\nb", "nel\x85x", "del\x7f"])
def test_a_room_name_with_a_control_character_is_refused(app, client, event_id, bad) -> None:
    url = f"/admin/events/{event_id}/rooms"
    before = _count(app, Room)
    page = post(client, url, {"name": bad}, token_from=url)
    assert page.status_code == 400 and _error(page, "name") == ONE_LINE
    assert _count(app, Room) == before


def test_control_characters_in_event_speaker_and_item_fields(app, client, event_id) -> None:
    events = _count(app, Event)
    page = post(client, "/admin/events/new", _event_form(title="Nul\x00titre"))
    assert page.status_code == 400 and _error(page, "title") == ONE_LINE
    page = post(client, "/admin/events/new", _event_form(introduction_md="Texte\x1bfin"))
    assert page.status_code == 400 and _error(page, "introduction_md") == MULTI_LINE
    assert _count(app, Event) == events

    speakers = _count(app, Speaker)
    page = post(client, "/admin/speakers/new", {"name": "S\x00x"}, token_from="/admin/speakers/new")
    assert page.status_code == 400 and _error(page, "name") == ONE_LINE
    assert _count(app, Speaker) == speakers

    url = f"/admin/events/{event_id}/items/new"
    items = _count(app, ProgrammeItem)
    page = post(client, url, _item(title="esc\x1bx"), token_from=url)
    assert page.status_code == 400 and _error(page, "title") == ONE_LINE
    page = post(client, url, _item(summary_md="a\x00b"), token_from=url)
    assert page.status_code == 400 and _error(page, "summary_md") == MULTI_LINE
    assert _count(app, ProgrammeItem) == items
    # Tabs and line breaks are what multi-line text is made of.
    page = post(
        client, url, _item(title="Net", description_md="- un\r\n\t- deux\n"), token_from=url
    )
    assert page.status_code == 303
    assert _count(app, ProgrammeItem, title="Net") == 1


# --- Markdown length ---------------------------------------------------------------------

TOO_LONG = "Texte trop long : 50 000 caractères au plus."  # visible_text: one space


def test_markdown_over_50000_characters_is_refused(app, client, event_id) -> None:
    events = _count(app, Event)
    page = post(client, "/admin/events/new", _event_form(introduction_md="a" * 50_001))
    assert page.status_code == 400 and _error(page, "introduction_md") == TOO_LONG
    assert _count(app, Event) == events
    url = f"/admin/events/{event_id}/items/new"
    page = post(client, url, _item(description_md="b" * 2_000_000), token_from=url)
    assert page.status_code == 400 and _error(page, "description_md") == TOO_LONG
    assert _count(app, ProgrammeItem, title="Atelier") == 0
    page = post(client, "/admin/events/new", _event_form(introduction_md="a" * 50_000))
    assert page.status_code == 303


# --- mailing ---------------------------------------------------------------------------


def test_a_double_clicked_mailing_is_queued_once(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    _register(app, event_id, [a, a2], "Ana", "López")
    _register(app, event_id, [a, a2], "Bruno", "Martin")
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/mailing"
    data = {"audience": "confirmed", "subject": "Salle", "body_md": "Salle B."}
    preview = post(client, url, data)
    key = re.search(r'name="submission" value="([^"]+)"', preview.text).group(1)
    send = {**data, "step": "send", "expected": "2", "submission": key}
    first, second = post(client, url, send), post(client, url, send)
    assert (first.status_code, second.status_code) == (303, 303)
    assert len(outbox(app, "message")) == 2
    dashboard = visible_text(client.get(second.headers["Location"]).text)
    assert "Ce message est déjà parti : il n'a pas été envoyé une seconde fois." in dashboard
    assert _count(app, SentMailing, event_id=event_id) == 1
    # Without the preview's key, the message is shown again to check, not sent.
    again = post(client, url, {**data, "step": "send", "expected": "2"})
    assert again.status_code == 200 and len(outbox(app, "message")) == 2
    assert "Vérifiez le message avant de l'envoyer." in visible_text(again.text)
    # A new preview has a new key: the organiser may send the message again on purpose.
    other = re.search(r'name="submission" value="([^"]+)"', again.text).group(1)
    assert other != key
    resent = post(client, url, {**send, "submission": other})
    assert resent.status_code == 303 and len(outbox(app, "message")) == 4

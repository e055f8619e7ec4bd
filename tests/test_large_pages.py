"""The pages of a large event read their programme and registrations as plain rows, and
what they write once for many items (links, translations) is right for each item."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from flask import url_for
from flask_babel import get_locale, refresh
from sqlalchemy import event as sa_event
from sqlalchemy import select
from test_admin_support import PASSWORD, create_organiser, login

from bench.make_large_event import make_large_event
from eventapp.extensions import db
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Registration, Speaker
from eventapp.programme import programme_entries
from eventapp.public.programme_html import ItemWriter

# The item as the event page's template wrote it (templates/public/_item.html, included
# once per item, before eventapp.public.programme_html wrote the items in Python).
JINJA_ITEM = Path(__file__).parent / "golden" / "event_item.jinja"


@contextmanager
def loaded_objects():
    """Counts the ORM objects loaded meanwhile, by class name."""
    counts: dict[str, int] = {}
    classes = (ProgrammeItem, Speaker, ItemSpeaker, Registration)

    def on_load(target, _context):
        name = type(target).__name__
        counts[name] = counts.get(name, 0) + 1

    for cls in classes:
        sa_event.listen(cls, "load", on_load)
    try:
        yield counts
    finally:
        for cls in classes:
            sa_event.remove(cls, "load", on_load)


def test_public_pages_and_feed_load_no_programme_objects(app, client, ctx) -> None:
    make_large_event("big", days=1, rooms=4, items=40, speakers=30, registrations=10)
    for url in ("/events/big/", "/events/big/speakers", "/events/big/calendar.ics"):
        with loaded_objects() as counts:
            answer = client.get(url + "?lang=nl")  # a language no other test built
        assert answer.status_code == 200, url
        assert counts == {}, (url, counts)


def test_each_item_links_to_its_own_calendar(app, client, ctx) -> None:
    event = make_large_event("big", days=1, rooms=4, items=40, speakers=30, registrations=0)
    ids = [item.id for item in event.items]
    html = client.get("/events/big/").text
    article = r'<article [^>]*data-item-id="(\d+)".*?<a href="([^"]+)" download'
    found = re.findall(article, html, re.S)
    assert sorted(int(item_id) for item_id, _ in found) == sorted(ids)
    with app.test_request_context():
        for item_id, href in found:
            assert href == url_for("calendar.item", slug="big", item_id=int(item_id))


def test_registrations_list_and_export_load_no_orm_objects(app, client, ctx) -> None:
    create_organiser("lead@example.org", PASSWORD, is_admin=True)
    make_large_event("big", days=1, rooms=2, items=6, speakers=8, registrations=30)
    login(client, "lead@example.org")
    event_id = db.session.scalar(select(Event.id).where(Event.slug == "big"))
    with loaded_objects() as counts:
        answer = client.get(f"/admin/events/{event_id}/registrations.csv")
    assert answer.status_code == 200
    assert answer.text.count("\r\n") == 31  # the header and 30 people
    assert counts == {}, counts
    with loaded_objects() as counts:
        answer = client.get(f"/admin/events/{event_id}/registrations")
    assert answer.status_code == 200
    assert answer.text.count("data-registration=") == 30
    assert counts == {}, counts


def test_registrations_list_links_each_workshop_to_its_attendance_sheet(app, client, ctx) -> None:
    create_organiser("lead@example.org", PASSWORD, is_admin=True)
    make_large_event("big", days=1, rooms=3, items=9, speakers=8, registrations=5)
    login(client, "lead@example.org")
    event_id = db.session.scalar(select(Event.id).where(Event.slug == "big"))
    html = client.get(f"/admin/events/{event_id}/registrations").text
    rows = re.findall(r'<tr data-workshop="(\d+)">.*?</tr>', html, re.S)
    assert len(rows) == 9
    with app.test_request_context():
        for item_id in rows:
            sheet = url_for("admin.attendance_sheet", event_id=event_id, item_id=int(item_id))
            assert f'<a href="{sheet}">' in html


def test_template_messages_follow_each_requests_language(app, client) -> None:
    """The catalogue is looked up once per render: the next request in another language,
    and the admin macros Jinja keeps between requests, still speak that language. (No app
    context around the requests: Flask-Babel keeps the locale in it.)"""
    with app.app_context():
        create_organiser("lead@example.org", PASSWORD, is_admin=True)
        make_large_event("big", days=1, rooms=2, items=4, speakers=4, registrations=0)
        event_id = db.session.scalar(select(Event.id).where(Event.slug == "big"))
        db.session.remove()
    login(client, "lead@example.org")
    url = f"/admin/events/{event_id}/registrations"
    for lang, tabs, label in (
        ("fr", "Sections de l’événement", "Vue d'ensemble"),
        ("nl", "Onderdelen van het evenement", "Overzicht"),
        ("fr", "Sections de l’événement", "Vue d'ensemble"),
    ):
        html = client.get(f"{url}?lang={lang}").text
        assert f'<html lang="{lang}">' in html
        assert f'aria-label="{tabs}"' in html, lang
        assert f">{label}</a>" in html, lang
    page = client.get("/events/big/?lang=nl").text
    assert "Toevoegen aan mijn agenda (.ics)" in page
    assert "Ajouter à mon agenda (.ics)" not in page


def _bilingual_event():
    """An event in French and Dutch whose items cover every case of the item's markup:
    texts in the page's language or in the fallback, quotation marks and markup characters
    in a title, a theme named like its item, no room, no theme, no speaker, no description."""
    from datetime import UTC, datetime

    make_large_event("bi", days=1, rooms=3, items=18, speakers=12, registrations=0)
    event = db.session.scalars(select(Event).where(Event.slug == "bi")).one()
    event.declare_languages(["fr", "nl"])
    items = sorted(event.items, key=lambda item: item.id)
    for n, item in enumerate(items):
        if n % 2:
            item.set_translation("title", "nl", f"Werkgroep {n} <b>&</b>")
        if n % 5 == 0:
            item.set_translation("description_md", "nl", "Een *werkgroep*.")
    items[1].title = "Atelier « Les enfants d’abord » & co"
    items[1].set_translation("title", "nl", "Werkgroep “Kinderen eerst” <i>")
    items[2].title = items[2].theme.title
    items[3].room_id = None
    items[4].speaker_links.clear()
    items[5].description_md = ""
    items[6].theme_id = None
    items[7].cancelled_at = datetime(2027, 1, 1, tzinfo=UTC)
    event.rooms[0].set_translation("name", "nl", "Zaal 1")
    event.themes[1].set_translation("title", "nl", "Thema 2")
    for speaker in db.session.scalars(select(Speaker).limit(6)):
        speaker.set_translation("role", "nl", "projectleider")
    db.session.commit()
    return event


def test_items_written_in_python_are_the_templates_bytes(app, ctx) -> None:
    event = _bilingual_event()
    template = app.jinja_env.from_string(JINJA_ITEM.read_text())
    rows = programme_entries(event)
    assert len(rows) == 18
    for lang in ("fr", "nl", "en"):
        with app.test_request_context(f"/events/bi/?lang={lang}"):
            refresh()  # the locale is kept in the test's app context: read it again
            assert str(get_locale()) == lang
            writer = ItemWriter(event, lang)
            for item in rows:
                expected = template.render(item=item, event=event)
                assert writer.item(item) == expected, (lang, item.id)
            # and the same from the ORM's items
            for item in event.items:
                assert writer.item(item) == template.render(item=item, event=event)

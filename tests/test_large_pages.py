"""The pages of a large event read their programme and registrations as plain rows, and
what they write once for many items (links, translations) is right for each item."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import url_for
from sqlalchemy import event as sa_event
from sqlalchemy import select
from test_admin_support import PASSWORD, create_organiser, login

from bench.make_large_event import make_large_event
from eventapp.extensions import db
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Registration, Speaker


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


def test_registrations_export_loads_no_registration_objects(app, client, ctx) -> None:
    create_organiser("lead@example.org", PASSWORD, is_admin=True)
    make_large_event("big", days=1, rooms=2, items=6, speakers=8, registrations=30)
    login(client, "lead@example.org")
    event_id = db.session.scalar(select(Event.id).where(Event.slug == "big"))
    with loaded_objects() as counts:
        answer = client.get(f"/admin/events/{event_id}/registrations.csv")
    assert answer.status_code == 200
    assert answer.text.count("\r\n") == 31  # the header and 30 people
    assert "Registration" not in counts and "Speaker" not in counts, counts


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

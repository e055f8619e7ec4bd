"""Organisers write one message in each language of the event; each person receives it in
theirs (else in the event's first language)."""

from __future__ import annotations

import re

from helpers import visible_text
from regutil import outbox
from test_admin_registrations import _event, _register
from test_admin_support import accounts_fixture, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event

DATA = {
    "audience": "confirmed",
    "subject": "Changement de salle",
    "body_md": "La plénière a lieu en **salle B**.",
    "subject__nl": "Andere zaal",
    "body_md__nl": "De plenaire sessie vindt plaats in **zaal B**.",
}


def _bilingual_event(app, accounts) -> int:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts)
    with app.app_context():
        db.session.get(Event, event_id).declare_languages(["fr", "nl"])
        db.session.commit()
    _register(app, event_id, [a, b2], "Anne", "Leroy")
    _register(app, event_id, [b, a2], "Bram", "Maes", language="nl")
    _register(app, event_id, [a, b2], "Emma", "Smith", language="en")
    return event_id


def test_each_person_gets_the_message_in_their_language(app, client, accounts) -> None:
    event_id = _bilingual_event(app, accounts)
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/mailing"
    page = client.get(url).text
    assert 'name="subject__nl"' in page and 'name="body_md__nl"' in page
    preview = post(client, url, DATA)
    assert preview.status_code == 200
    text = visible_text(preview.text)
    assert "Changement de salle" in text and "Andere zaal" in text
    assert '<div class="mail-body" lang="nl"><p>De plenaire sessie' in preview.text
    key = re.search(r'name="submission" value="([^"]+)"', preview.text).group(1)
    sent = post(client, url, {**DATA, "step": "send", "expected": "3", "submission": key})
    assert sent.status_code == 303
    by_person = {m.recipient: m for m in outbox(app, "message")}
    assert by_person["bram.maes@example.org"].subject == "Andere zaal"
    assert "zaal B" in by_person["bram.maes@example.org"].body_text
    assert by_person["anne.leroy@example.org"].subject == "Changement de salle"
    # No English version written: the event's first language.
    assert by_person["emma.smith@example.org"].subject == "Changement de salle"


def test_half_a_translation_is_refused_beside_the_empty_field(app, client, accounts) -> None:
    event_id = _bilingual_event(app, accounts)
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/mailing"
    refused = post(client, url, {**DATA, "body_md__nl": ""})
    assert refused.status_code == 400
    message = visible_text(refused.text.split('id="body_md__nl-error"')[1])
    assert "Écrivez l'objet et le message dans cette langue, ou aucun." in message
    assert not outbox(app, "message")

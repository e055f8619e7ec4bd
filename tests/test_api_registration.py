"""Registering through the API: the form's rules, mails and rate limit; JSON only."""

from __future__ import annotations

import pytest
from factories import make_event, workshops
from regutil import outbox, registration_count, reset_rate_limits

from eventapp.extensions import db

URL = "/api/v1/events/journee-ouverte/registrations"


@pytest.fixture
def event_rounds(app) -> list[list[int]]:
    reset_rate_limits()
    with app.app_context():
        rounds = workshops(make_event(workshop_capacity=1))
        db.session.remove()
    return rounds


def body(rounds, email="ana.lopez@example.org", **changes):
    data = {
        "first_name": "Ana",
        "last_name": "López",
        "email": email,
        "organisation": "CPAS de Namur",
        "job_title": "Assistante sociale",
        "consent": True,
        "workshops": [rounds[0][0], rounds[1][1]],
    }
    data.update(changes)
    return data


def test_a_json_registration_is_confirmed_mailed_and_opens_the_participant_page(
    app, client, event_rounds
) -> None:
    answer = client.post(URL, json=body(event_rounds))
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "confirmed"
    assert answer.json["awaiting_confirmation"] is False
    assert answer.json["waitlist_position"] is None
    assert answer.json["url"].endswith(f"/r/{answer.json['token']}/")
    page = client.get(f"/r/{answer.json['token']}/")
    assert 'data-status="confirmed"' in page.text
    export = client.get(f"/r/{answer.json['token']}/export.json").json
    assert [c["item_id"] for c in export["choices"]] == [event_rounds[0][0], event_rounds[1][1]]
    mails = outbox(app, "confirmed")
    assert [m.recipient for m in mails] == ["ana.lopez@example.org"]
    assert answer.json["token"] in mails[0].body_text


def test_a_full_workshop_puts_the_next_person_on_the_waiting_list(app, client, event_rounds):
    assert client.post(URL, json=body(event_rounds)).json["status"] == "confirmed"
    second = client.post(URL, json=body(event_rounds, email="bert@example.org"))
    assert second.status_code == 201
    assert second.json["status"] == "waitlisted"
    assert second.json["waitlist_position"] == 1
    assert len(outbox(app, "waitlisted")) == 1


def test_the_same_address_again_gets_its_link_by_mail_not_in_the_answer(app, client, event_rounds):
    first = client.post(URL, json=body(event_rounds)).json
    again = client.post(URL, json=body(event_rounds, email="ANA.LOPEZ@example.org"))
    assert again.status_code == 202
    assert first["token"] not in again.text
    assert registration_count(app) == 1
    assert len(outbox(app, "already_registered")) == 1


@pytest.mark.parametrize(
    ("send", "status", "field"),
    [
        (lambda r: {"data": body(r) | {"consent": "y", "workshops": ""}}, 415, None),
        (lambda r: {"data": "{not json", "content_type": "application/json"}, 400, None),
        (lambda r: {"json": body(r, workshops="premier")}, 422, "workshops"),
        (lambda r: {"json": body(r, first_name=12)}, 422, "first_name"),
        (lambda r: {"json": body(r, admin=True)}, 422, "admin"),
        (lambda r: {"json": body(r, consent=False)}, 422, "consent"),
        (lambda r: {"json": body(r, email="pas-une-adresse")}, 422, "email"),
        (lambda r: {"json": body(r, last_name="<script>")}, 422, "last_name"),
        (lambda r: {"json": body(r, workshops=[r[0][0]])}, 422, "workshops"),
        (lambda r: {"json": body(r, workshops=[r[0][0], r[1][0]])}, 422, "workshops"),
        (lambda r: {"json": body(r, workshops=[r[0][0], 999999])}, 422, "workshops"),
    ],
    ids=[
        "form-encoded",
        "malformed-json",
        "wrong-type-list",
        "wrong-type-string",
        "unknown-field",
        "no-consent",
        "bad-email",
        "markup",
        "round-missing",
        "same-theme-twice",
        "unknown-workshop",
    ],
)
def test_bad_input_is_a_problem_document_and_stores_nothing(
    app, client, event_rounds, send, status, field
) -> None:
    answer = client.post(URL, **send(event_rounds))
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert answer.json["status"] == status
    assert answer.json["detail"]
    if field:
        assert field in answer.json["errors"], answer.json
    assert registration_count(app) == 0
    assert outbox(app) == []


def test_a_body_over_the_limit_is_refused_with_413(app, client, event_rounds, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 200)
    answer = client.post(URL, json=body(event_rounds, job_title="x" * 190))
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    assert registration_count(app) == 0


def test_closed_or_unknown_events_are_refused(app, client, event_rounds) -> None:
    unknown = client.post("/api/v1/events/nope/registrations", json=body(event_rounds))
    assert unknown.status_code == 404
    with app.app_context():
        from eventapp.models import Event

        event = db.session.scalars(db.select(Event)).one()
        event.registration_open = False
        db.session.commit()
    closed = client.post(URL, json=body(event_rounds))
    assert closed.status_code == 409
    assert "closed" in closed.json["detail"]
    assert registration_count(app) == 0


def test_the_form_rate_limit_applies(app, client, event_rounds, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REGISTRATION_RATE_LIMIT", "2 per minute")
    for n in range(2):
        assert (
            client.post(URL, json=body(event_rounds, email=f"p{n}@example.org")).status_code == 201
        )
    refused = client.post(URL, json=body(event_rounds, email="p3@example.org"))
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert registration_count(app) == 2

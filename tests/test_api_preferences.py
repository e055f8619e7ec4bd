"""Registering through the API on an event in preferences mode: a ranking, pending."""

from __future__ import annotations

import pytest
from factories import make_event
from regutil import outbox, registration_count, reset_rate_limits
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Event

URL = "/api/v1/events/journee-ouverte/registrations"


@pytest.fixture
def ranked_event(app) -> None:
    reset_rate_limits()
    with app.app_context():
        make_event(workshop_capacity=1).allocation_mode = "preferences"
        db.session.commit()
        db.session.remove()


def body(**changes):
    data = {
        "first_name": "Ana",
        "last_name": "López",
        "email": "ana.lopez@example.org",
        "consent": True,
        "preferences": ["3", "1", "2"],
    }
    data.update(changes)
    return data


def test_a_ranking_is_registered_pending(app, client, ranked_event) -> None:
    answer = client.post(URL, json=body())
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "pending"
    export = client.get(f"/r/{answer.json['token']}/export.json").json
    assert export["preferences"] == ["3", "1", "2"] and export["choices"] == []
    assert [m.kind for m in outbox(app)] == ["pending"]


@pytest.mark.parametrize(
    "changes",
    [
        {"preferences": ["1", "1", "2"]},
        {"preferences": ["1", "9", "2"]},
        {"preferences": ["1", "2"]},
        {"preferences": ["1", "2", "3", "1"]},
        {"preferences": None},
        {"workshops": [1, 2]},
    ],
)
def test_a_bad_ranking_is_a_problem_document_and_stores_nothing(
    app, client, ranked_event, changes
) -> None:
    answer = client.post(URL, json=body(**changes))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert answer.json["detail"]
    assert registration_count(app) == 0
    assert outbox(app) == []


def test_preferences_on_a_first_come_event_are_refused(app, client, ranked_event) -> None:
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="first-come"))
        db.session.commit()
        assert db.session.scalar(select(Event.allocation_mode)) == "first-come"
    answer = client.post(URL, json=body())
    assert answer.status_code == 422
    assert registration_count(app) == 0

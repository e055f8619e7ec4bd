"""The organiser API reads and writes an event's allocation settings: the mode, k (the ranks
asked) and what happens to registrations after an allocation."""

from __future__ import annotations

from test_allocation_run import _pending
from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event

EVENT = "/api/v1/organiser/events/journee-ouverte"


def _settings(app) -> tuple[str, int | None, str]:
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        return event.allocation_mode, event.ranks_asked, event.after_allocation


def test_the_settings_are_read_and_written(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    read = client.get(EVENT, headers=alice).json
    assert (read["allocation_mode"], read["ranks_asked"], read["after_allocation"]) == (
        "first-come",
        None,
        "first-come",
    )
    changed = client.patch(
        EVENT,
        json={"allocation_mode": "preferences", "ranks_asked": 2, "after_allocation": "pending"},
        headers=alice,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["allocation_mode"] == "preferences"
    assert changed.json["ranks_asked"] == 2
    assert changed.json["after_allocation"] == "pending"
    assert _settings(app) == ("preferences", 2, "pending")
    # The registration form now asks two ranks.
    form = client.get("/events/journee-ouverte/register")
    assert 'name="rank_2"' in form.text and 'name="rank_3"' not in form.text
    # null asks every theme again.
    back = client.patch(EVENT, json={"ranks_asked": None}, headers=alice)
    assert back.status_code == 200 and back.json["ranks_asked"] is None
    assert 'name="rank_3"' in client.get("/events/journee-ouverte/register").text

    created = client.post(
        "/api/v1/organiser/events",
        json={
            "title": "Journée classée",
            "start": "2031-06-20T09:00",
            "end": "2031-06-20T17:00",
            "allocation_mode": "preferences",
            "after_allocation": "pending",
        },
        headers=alice,
    )
    assert created.status_code == 201, created.json
    assert created.json["allocation_mode"] == "preferences"
    assert created.json["after_allocation"] == "pending"


def test_bad_values_are_a_problem_document_and_change_nothing(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    for body, field in (
        ({"allocation_mode": "lottery"}, "allocation_mode"),
        ({"after_allocation": "never"}, "after_allocation"),
        ({"ranks_asked": 0}, "ranks_asked"),
        ({"ranks_asked": "2"}, "ranks_asked"),
        ({"ranks_asked": 4}, "ranks_asked"),  # the event offers three themes
        ({"allocation_mode": "preferences", "ranks_asked": 9, "title": "Autre"}, "ranks_asked"),
    ):
        answer = client.patch(EVENT, json=body, headers=alice)
        assert answer.status_code == 422, (body, answer.json)
        assert answer.mimetype == "application/problem+json"
        assert field in str(answer.json), answer.json
        assert _settings(app) == ("first-come", None, "first-come")
    with app.app_context():
        assert db.session.scalar(db.select(Event.title)) == "Journée ouverte"


def test_the_mode_and_k_are_kept_once_people_ranked(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    client.patch(EVENT, json={"allocation_mode": "preferences"}, headers=alice)
    _pending(app, [["1", "2", "3"]])
    for body, field in (
        ({"allocation_mode": "first-come"}, "allocation_mode"),
        ({"ranks_asked": 2}, "ranks_asked"),
    ):
        answer = client.patch(EVENT, json=body, headers=alice)
        assert answer.status_code == 422 and field in str(answer.json["errors"])
        assert "already" in str(answer.json) or "other mode" in str(answer.json)
    assert _settings(app) == ("preferences", None, "first-come")
    # The rule after an allocation can still change.
    answer = client.patch(EVENT, json={"after_allocation": "pending"}, headers=alice)
    assert answer.status_code == 200
    assert _settings(app) == ("preferences", None, "pending")


def test_the_openapi_document_describes_the_settings(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    event_in = schemas["EventIn"]["properties"]
    assert event_in["allocation_mode"]["enum"] == ["first-come", "preferences"]
    assert event_in["after_allocation"]["enum"] == ["first-come", "pending"]
    assert "null asks every theme" in event_in["ranks_asked"]["description"]
    out = next(
        s
        for name, s in schemas.items()
        if name.startswith("OrganiserEvent") and "ranks_asked" in s.get("properties", {})
    )
    assert {"allocation_mode", "ranks_asked", "after_allocation"} <= set(out["properties"])

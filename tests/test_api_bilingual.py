"""The JSON API reads and writes every language of an event's texts."""

from __future__ import annotations

from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, Room

EVENT = "/api/v1/organiser/events/journee-ouverte"


def _event(app) -> Event:
    return db.session.scalars(db.select(Event).filter_by(slug="journee-ouverte")).one()


def test_languages_and_translations_are_written_and_read(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    answer = client.patch(
        EVENT,
        json={"languages": ["fr", "nl"], "translations": {"nl": {"title": "Open dag"}}},
        headers=alice,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["languages"] == ["fr", "nl"]
    assert answer.json["translations"] == {"nl": {"title": "Open dag"}}
    room = client.post(
        f"{EVENT}/rooms",
        json={"name": "Salle Z", "translations": {"nl": {"name": "Zaal Z"}}},
        headers=alice,
    )
    assert room.status_code == 201 and room.json["translations"] == {"nl": {"name": "Zaal Z"}}
    item_id = client.get(EVENT, headers=alice).json["items"][1]["id"]
    item = client.patch(
        f"{EVENT}/items/{item_id}",
        json={"translations": {"nl": {"title": "Workshop", "summary_md": "Verslag."}}},
        headers=alice,
    )
    assert item.status_code == 200, item.json
    assert item.json["translations"]["nl"] == {"title": "Workshop", "summary_md": "Verslag."}
    public = client.get("/api/v1/events/journee-ouverte").json
    assert public["languages"] == ["fr", "nl"]
    assert public["translations"]["nl"]["title"] == "Open dag"
    assert any(r["translations"] == {"nl": {"name": "Zaal Z"}} for r in public["rooms"])
    # The public page in Dutch shows them.
    assert "Open dag" in client.get("/events/journee-ouverte/?lang=nl").text
    # An empty text removes a translation.
    client.patch(EVENT, json={"translations": {"nl": {"title": ""}}}, headers=alice)
    with app.app_context():
        assert _event(app).translation("title", "nl") == ""


def test_an_undeclared_language_is_a_problem_naming_the_field(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    refused = client.patch(
        EVENT, json={"title": "Autre", "translations": {"nl": {"title": "Ander"}}}, headers=alice
    )
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "nl" in refused.json["errors"]["translations"]
    room = client.post(
        f"{EVENT}/rooms",
        json={"name": "Salle Y", "translations": {"nl": {"name": "Zaal Y"}}},
        headers=alice,
    )
    assert room.status_code == 422 and "nl" in room.json["errors"]["translations"]
    unknown = client.patch(EVENT, json={"translations": {"zz": {"title": "?"}}}, headers=alice)
    assert unknown.status_code == 422
    with app.app_context():
        event = _event(app)
        assert event.title != "Autre" and event.translations == {}
        assert db.session.scalar(db.select(db.func.count(Room.id)).filter_by(name="Salle Y")) == 0


def test_a_bad_translation_is_refused_like_its_first_language_value(app, client, organisers):
    alice = bearer(organisers["alice"])
    client.patch(EVENT, json={"languages": ["fr", "nl"]}, headers=alice)
    for texts in (
        {"title": "x" * 201},
        {"title": "Open\x00dag"},
        {"slug": "open-dag"},  # not a translatable text
    ):
        refused = client.patch(EVENT, json={"translations": {"nl": texts}}, headers=alice)
        assert refused.status_code == 422, texts
    # A first language that lacks texts cannot become the fallback.
    refused = client.patch(EVENT, json={"languages": ["nl", "fr"]}, headers=alice)
    assert refused.status_code == 422 and "languages" in refused.json["errors"]
    with app.app_context():
        event = _event(app)
        assert event.language_list == ("fr", "nl") and event.translations == {}


def test_the_openapi_document_describes_translations(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    event_in = spec["components"]["schemas"]["EventIn"]["properties"]
    assert "translations" in event_in and "languages" in event_in
    assert "ordinary fields" in event_in["translations"]["description"]

"""Bad input in the organisers' API: a 422 problem document naming the field, nothing
stored, no 500."""

from __future__ import annotations

import pytest
from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Room, Speaker, Theme

EVENT = "/api/v1/organiser/events/journee-ouverte"
ITEM = {
    "kind": "plenary",
    "title": "Clôture",
    "start": "2031-01-01T10:00",
    "end": "2031-01-01T11:00",
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def _refused(answer, field: str) -> str:
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    return " ".join(answer.json["errors"][field])


@pytest.mark.parametrize(
    ("url", "body", "model"),
    [
        (f"{EVENT}/rooms", {"name": "Hall", "capacity": 10**30}, Room),
        (f"{EVENT}/rooms", {"name": "Hall", "capacity": 2**63}, Room),
        (f"{EVENT}/rooms", {"name": "Hall", "capacity": 2**31}, Room),
        (f"{EVENT}/items", {**ITEM, "capacity": 10**20}, ProgrammeItem),
        ("/api/v1/organiser/events", {"title": "T", "start": "2031-01-01T10:00",
                                      "end": "2031-01-01T11:00", "capacity": 100_001}, Event),
    ],
)  # fmt: skip
def test_capacities_beyond_100000_are_refused(app, client, organisers, url, body, model):
    before = _count(app, model)
    answer = client.post(url, json=body, headers=bearer(organisers["alice"]))
    assert "less than or equal to 100000" in _refused(answer, "capacity")
    assert _count(app, model) == before


def test_an_event_capacity_patch_beyond_100000_changes_nothing(app, client, organisers):
    alice = bearer(organisers["alice"])
    before = client.get(EVENT, headers=alice).json["capacity"]
    answer = client.patch(EVENT, json={"capacity": 10**30}, headers=alice)
    assert "less than or equal to 100000" in _refused(answer, "capacity")
    assert client.get(EVENT, headers=alice).json["capacity"] == before
    room = client.post(f"{EVENT}/rooms", json={"name": "Stade", "capacity": 100_000}, headers=alice)
    assert room.status_code == 201 and room.json["capacity"] == 100_000


@pytest.mark.parametrize(
    ("url", "body", "model", "field"),
    [
        (f"{EVENT}/themes", {"number": 50, "title": "   "}, Theme, "title"),
        ("/api/v1/organiser/speakers", {"name": "   "}, Speaker, "name"),
        (f"{EVENT}/items", {**ITEM, "title": "  \t "}, ProgrammeItem, "title"),
        (f"{EVENT}/rooms", {"name": "  "}, Room, "name"),
    ],
)
def test_whitespace_only_names_are_refused(app, client, organisers, url, body, model, field):
    before = _count(app, model)
    answer = client.post(url, json=body, headers=bearer(organisers["alice"]))
    assert _refused(answer, field) == "Required: more than spaces."
    assert _count(app, model) == before


@pytest.mark.parametrize(
    ("url", "body", "model", "field"),
    [
        (f"{EVENT}/rooms", {"name": "R\x00x"}, Room, "name"),
        ("/api/v1/organiser/speakers", {"name": "S\x00x"}, Speaker, "name"),
        ("/api/v1/organiser/speakers", {"name": "S", "organisation": "O\r\nBcc: x"}, Speaker,
         "organisation"),
        (f"{EVENT}/items", {**ITEM, "title": "esc\x1bx"}, ProgrammeItem, "title"),
        (f"{EVENT}/themes", {"number": 51, "title": "T", "description_md": "a\x00b"}, Theme,
         "description_md"),
    ],
)  # fmt: skip
def test_control_characters_are_refused(app, client, organisers, url, body, model, field):
    before = _count(app, model)
    answer = client.post(url, json=body, headers=bearer(organisers["alice"]))
    message = _refused(answer, field)
    if field.endswith("_md"):
        assert message == "No control characters (tab, CR and LF are allowed)."
    else:
        assert message == "One line, without control characters."
    assert _count(app, model) == before


def test_markdown_keeps_tabs_and_line_breaks_up_to_50000(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    kept = client.post(
        f"{EVENT}/items", json={**ITEM, "description_md": "- un\r\n\t- deux\n"}, headers=alice
    )
    assert kept.status_code == 201 and kept.json["description_md"] == "- un\r\n\t- deux\n"
    before = client.get(EVENT, headers=alice).json["introduction_md"]
    answer = client.patch(EVENT, json={"introduction_md": "a" * 50_001}, headers=alice)
    assert _refused(answer, "introduction_md") == "At most 50,000 characters."
    assert client.get(EVENT, headers=alice).json["introduction_md"] == before

"""Organisers' API with bearer tokens: events, programme, registrations, check-in."""

from __future__ import annotations

import io

import pyotp
import pytest
from factories import workshops
from openpyxl import load_workbook
from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp.admin.api_tokens import revoke_token
from eventapp.extensions import db
from eventapp.models import ApiToken, Event, Registration, Room
from eventapp.models.types import utcnow

EVENT = "/api/v1/organiser/events/journee-ouverte"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(model.id)))


def test_a_missing_or_revoked_token_is_401_with_www_authenticate(app, client, organisers):
    missing = client.post(f"{EVENT}/rooms", json={"name": "Salle Z"})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.mimetype == "application/problem+json"
    assert client.get(EVENT, headers=bearer("evt_guessed")).status_code == 401
    assert client.get(EVENT, headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get(EVENT, headers=bearer(organisers["alice"])).status_code == 200
    with app.app_context():
        revoke_token(db.session.scalars(db.select(ApiToken).filter_by(name="script d'Alice")).one())
    revoked = client.get(EVENT, headers=bearer(organisers["alice"]))
    assert revoked.status_code == 401
    assert "revoked" in revoked.json["detail"]


def test_another_organisers_event_is_404_and_unchanged(app, client, organisers) -> None:
    bob = bearer(organisers["bob"])
    assert client.get(EVENT, headers=bob).status_code == 404
    rooms_before = _count(app, Room)
    answer = client.post(f"{EVENT}/rooms", json={"name": "Salle de Bob"}, headers=bob)
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert client.patch(EVENT, json={"title": "Volée"}, headers=bob).status_code == 404
    assert client.get(f"{EVENT}/registrations", headers=bob).status_code == 404
    assert _count(app, Room) == rooms_before
    assert client.get(EVENT, headers=bearer(organisers["alice"])).json["title"] == "Journée ouverte"


def test_an_organiser_builds_an_event_and_sees_conflicts(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    created = client.post(
        "/api/v1/organiser/events",
        json={"title": "Journée d'été", "start": "2031-06-20T09:00", "end": "2031-06-20T17:00"},
        headers=alice,
    )
    assert created.status_code == 201, created.json
    assert created.json["slug"] == "journee-d-ete"
    assert created.json["status"] == "draft"
    assert created.json["start"] == "2031-06-20T09:00:00+02:00"
    url = "/api/v1/organiser/events/journee-d-ete"
    room = client.post(f"{url}/rooms", json={"name": "Salle 1", "capacity": 10}, headers=alice)
    theme = client.post(f"{url}/themes", json={"number": 1, "title": "Logement"}, headers=alice)
    speaker = client.post("/api/v1/organiser/speakers", json={"name": "Ada"}, headers=alice)
    assert (room.status_code, theme.status_code, speaker.status_code) == (201, 201, 201)
    item = {
        "kind": "workshop",
        "title": "Atelier logement",
        "start": "2031-06-20T10:00:00+02:00",
        "end": "2031-06-20T11:00:00+02:00",
        "room_id": room.json["id"],
        "theme_id": theme.json["id"],
        "speaker_ids": [speaker.json["id"]],
    }
    first = client.post(f"{url}/items", json=item, headers=alice)
    assert first.status_code == 201, first.json
    assert first.json["speakers"][0]["name"] == "Ada"
    assert first.json["conflicts"] == []
    second = client.post(f"{url}/items", json=item | {"title": "Doublon"}, headers=alice)
    assert {c["type"] for c in second.json["conflicts"]} >= {"room_overlap", "speaker_overlap"}
    moved = client.patch(
        f"{url}/items/{second.json['id']}",
        json={"start": "2031-06-20T14:00", "end": "2031-06-20T15:00"},
        headers=alice,
    )
    assert moved.json["conflicts"] == []
    renamed = client.patch(
        f"{url}/rooms/{room.json['id']}", json={"name": "Salle Une"}, headers=alice
    )
    assert renamed.json["name"] == "Salle Une"
    page = client.get(url, headers=alice)
    assert [i["room"] for i in page.json["items"]] == ["Salle Une", "Salle Une"]
    again = client.get(url, headers=alice | {"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    listed = client.get("/api/v1/organiser/events", headers=alice).json
    assert {e["slug"] for e in listed} == {"journee-ouverte", "journee-d-ete"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2031-06-20T17:00", "end": "2031-06-20T09:00"}, "end"),
        ({"capacity": "beaucoup"}, "capacity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"owner": "bob"}, "owner"),
        ({"slug": "Pas Un Slug"}, "slug"),
    ],
)
def test_invalid_fields_are_422_with_field_errors_and_change_nothing(
    app, client, organisers, payload, field
) -> None:
    answer = client.patch(EVENT, json=payload, headers=bearer(organisers["alice"]))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"]
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        assert (event.capacity, event.timezone, event.slug) == (
            None,
            "Europe/Brussels",
            "journee-ouverte",
        )


def test_body_rules_form_encoding_malformed_json_and_size(app, client, organisers, monkeypatch):
    alice = bearer(organisers["alice"])
    form = client.post(f"{EVENT}/rooms", data={"name": "Salle F"}, headers=alice)
    assert form.status_code == 415
    broken = client.post(
        f"{EVENT}/rooms", data='{"name": ', content_type="application/json", headers=alice
    )
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 100)
    big = client.post(f"{EVENT}/rooms", json={"name": "S" * 100}, headers=alice)
    assert big.status_code == 413
    assert big.mimetype == "application/problem+json"
    assert _count(app, Room) == 4


def _register(client, rounds, n: int) -> None:
    answer = client.post(
        "/api/v1/events/journee-ouverte/registrations",
        json={
            "first_name": f"Personne{n}",
            "last_name": '=HYPERLINK("http://x")' if n == 0 else f"Nom{n}",
            "email": f"p{n}@example.org",
            "consent": True,
            "workshops": [rounds[0][0], rounds[1][1]],
        },
    )
    assert answer.status_code == 201


def test_registrations_list_export_cancel_confirm_move_and_check_in(app, client, organisers):
    with app.app_context():
        rounds = workshops(db.session.scalars(db.select(Event)).one())
    for n in range(3):
        _register(client, rounds, n)
    alice = bearer(organisers["alice"])
    url = f"{EVENT}/registrations"
    waiting = client.get(url, query_string={"status": "waitlisted"}, headers=alice).json
    assert [r["waitlist_position"] for r in waiting] == [1, 2]
    paged = client.get(url, query_string={"page_size": 2, "page": 2}, headers=alice)
    assert len(paged.json) == 1
    assert '"total": 3' in paged.headers["X-Pagination"]
    found = client.get(url, query_string={"q": "nom2"}, headers=alice).json
    assert [r["email"] for r in found] == ["p2@example.org"]

    csv_answer = client.get(f"{url}/export", headers=alice)
    assert csv_answer.data.startswith(b"\xef\xbb\xbf")
    text = csv_answer.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    xlsx = client.get(f"{url}/export", query_string={"format": "xlsx"}, headers=alice)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "p1@example.org" in cells

    with app.app_context():
        ids = {r.email: r.id for r in db.session.scalars(db.select(Registration))}
    first, second = ids["p0@example.org"], ids["p1@example.org"]
    cancelled = client.post(f"{url}/{first}/cancel", headers=alice)
    assert cancelled.json["status"] == "cancelled"
    assert client.get(f"{url}/{second}", headers=alice).json["status"] == "confirmed"
    full = client.post(f"{url}/{first}/confirm", headers=alice)
    assert full.status_code == 409
    assert "waiting list" in full.json["detail"]
    moved = client.post(
        f"{url}/{second}/move", json={"workshops": [rounds[0][2], rounds[1][1]]}, headers=alice
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["workshops"] == sorted([rounds[0][2], rounds[1][1]])
    present = client.post(f"{url}/{second}/check-in", headers=alice)
    assert present.json["checked_in_at"] is not None
    listed = client.get(url, query_string={"checked_in": "true"}, headers=alice).json
    assert [r["id"] for r in listed] == [second]
    assert client.post(f"{url}/{first}/check-in", headers=alice).status_code == 409
    undone = client.delete(f"{url}/{second}/check-in", headers=alice)
    assert undone.json["checked_in_at"] is None


def test_the_openapi_document_describes_the_bearer_scheme(client) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operation = document["paths"]["/api/v1/organiser/events/{slug}"]["patch"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert "401" in operation["responses"]


def test_a_token_of_an_account_without_two_factor_is_refused_once_it_is_required(
    app, client, organisers
) -> None:
    from eventapp.admin.two_factor import set_two_factor_required

    alice = bearer(organisers["alice"])
    with app.app_context():
        set_two_factor_required(True)
    refused = client.post(f"{EVENT}/rooms", json={"name": "Salle Z"}, headers=alice)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "Two-factor sign-in is required" in refused.json["detail"]
    assert client.get(EVENT, headers=alice).status_code == 403
    assert "Salle Z" not in _room_names(app)
    with app.app_context():
        account = (
            db.session.scalars(db.select(ApiToken).filter_by(name="script d'Alice")).one().user
        )
        account.totp_secret = pyotp.random_base32()
        account.totp_enabled_at = utcnow()
        db.session.commit()
    assert client.get(EVENT, headers=alice).status_code == 200
    with app.app_context():
        set_two_factor_required(False)
    bob_after = client.get(EVENT, headers=bearer(organisers["bob"]))
    assert bob_after.status_code == 404, "without the requirement Bob's token signs in again"


def _room_names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(Room.name)))

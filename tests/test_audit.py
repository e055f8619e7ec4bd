"""The audit trail of an event: each organiser action (organiser area and API) leaves one
entry naming its actor; the managers read it page by page and as CSV; nobody else does;
an erased person's name and address leave it."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import timedelta

import pytest
from factories import make_event, workshops
from helpers import count_queries, csrf_token, visible_text
from test_admin_support import accounts_fixture, login, post  # noqa: F401
from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp import audit
from eventapp.extensions import db
from eventapp.models import AuditEntry, Event, ProgrammeItem, Registration, User
from eventapp.registration import Applicant, erase_expired, register

API = "/api/v1/organiser/events/journee-ouverte"


def _event(app, accounts) -> tuple[int, list[list[int]]]:
    """A published event (one seat a workshop) managed by Alice."""
    with app.app_context():
        event = make_event(workshop_capacity=1)
        event.managers = [db.session.get(User, accounts["alice"])]
        db.session.commit()
        result = event.id, workshops(event)
        db.session.remove()
    return result


def _register(app, event_id: int, picks: list[int], first: str, last: str) -> tuple[int, str]:
    with app.app_context():
        event = db.session.get(Event, event_id)
        items = [db.session.get(ProgrammeItem, item_id) for item_id in picks]
        plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        email = plain.decode().lower() + "@example.org"
        registration = register(event, Applicant(first, last, email), items).registration
        result = registration.id, registration.token
        db.session.remove()
    return result


def _last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(AuditEntry.id))) or 0


def _since(app, last: int) -> list[tuple[str, str, str, str]]:
    """The entries written after ``last``: (action, actor's address, via, subject)."""
    with app.app_context():
        entries = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)
        ).all()
        return [(e.action, e.actor_email, e.via, e.subject_label) for e in entries]


def _item_id(app, event_id: int, title: str) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(ProgrammeItem.id).filter_by(event_id=event_id, title=title)
        )


def _csv(answer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))


def test_each_action_of_the_organiser_area_leaves_one_entry_naming_its_actor(
    app, client, accounts
) -> None:
    event_id, ((a, b, c), (a2, b2, c2)) = _event(app, accounts)
    ana, _ = _register(app, event_id, [a, a2], "Ana", "López")
    bruno, _ = _register(app, event_id, [a, a2], "Bruno", "Martin")  # waiting: one seat
    chloe, _ = _register(app, event_id, [b, b2], "Chloé", "Dubois")
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}"
    alice = "alice@example.org"

    def one(action: str, subject: str, do) -> None:
        last = _last_id(app)
        answer = do()
        assert answer.status_code in (200, 303), (action, answer.status_code)
        assert _since(app, last) == [(action, alice, "admin", subject)]

    one("event.unpublished", "Journée ouverte", lambda: post(client, f"{base}/unpublish"))
    one("event.published", "Journée ouverte", lambda: post(client, f"{base}/publish"))
    one(
        "event.registration_closed",
        "Journée ouverte",
        lambda: post(client, f"{base}/registration", {"value": "off"}),
    )
    rooms = f"{base}/rooms"
    one(
        "room.created",
        "Salle Z",
        lambda: post(client, rooms, {"name": "Salle Z", "capacity": "10"}, token_from=rooms),
    )
    with app.app_context():
        room_id = db.session.scalar(db.select(db.text("id FROM room WHERE name = 'Salle Z'")))
    one(
        "room.changed",
        "Salle Zèbre",
        lambda: post(
            client,
            f"{rooms}/{room_id}/edit",
            {"name": "Salle Zèbre", "capacity": "12"},
            token_from=rooms,
        ),
    )
    one("room.deleted", "Salle Zèbre", lambda: post(client, f"{rooms}/{room_id}/delete"))
    themes = f"{base}/themes"
    one(
        "theme.created",
        "9. Logement",
        lambda: post(client, themes, {"number": "9", "title": "Logement"}, token_from=themes),
    )
    with app.app_context():
        theme_id = db.session.scalar(db.select(db.text("id FROM theme WHERE number = 9")))
    one(
        "theme.changed",
        "9. Logement d'abord",
        lambda: post(
            client,
            f"{themes}/{theme_id}/edit",
            {"number": "9", "title": "Logement d'abord"},
            token_from=themes,
        ),
    )
    one("theme.deleted", "9. Logement d'abord", lambda: post(client, f"{themes}/{theme_id}/delete"))
    opening = _item_id(app, event_id, "Ouverture")
    with app.app_context():
        start = db.session.get(ProgrammeItem, opening)
        new_start = start.event.local(start.starts_at - timedelta(minutes=30))
        auditorium = start.room_id
    one(
        "item.moved",
        "Ouverture",
        lambda: post(
            client,
            f"{base}/items/{opening}/move",
            {
                f"move-{opening}-room_id": str(auditorium),
                f"move-{opening}-starts_at": new_start.strftime("%Y-%m-%dT%H:%M"),
                f"move-{opening}-confirm_time_change": "y",
            },
            token_from=f"{base}/programme",
        ),
    )
    one("item.cancelled", "Ouverture", lambda: post(client, f"{base}/items/{opening}/delete"))
    regs = f"{base}/registrations"
    one(
        "registration.confirmed",
        "Bruno Martin <bruno.martin@example.org>",
        lambda: post(client, f"{regs}/{bruno}/confirm", {"force": "y"}),
    )
    one(
        "registration.cancelled",
        "Ana López <ana.lopez@example.org>",
        lambda: post(client, f"{regs}/{ana}/cancel"),
    )
    one(
        "registration.moved",
        "Chloé Dubois <chloe.dubois@example.org>",
        lambda: post(client, f"{regs}/{chloe}/move", {"workshop_1": str(c), "workshop_2": str(b2)}),
    )
    one(
        "registration.checked_in",
        "Chloé Dubois <chloe.dubois@example.org>",
        lambda: post(client, f"{regs}/{chloe}/checkin", {"value": "on"}),
    )
    one(
        "registration.checked_out",
        "Chloé Dubois <chloe.dubois@example.org>",
        lambda: post(client, f"{regs}/{chloe}/checkin", {"value": "off"}),
    )
    one(
        "registrations.exported", "Journée ouverte", lambda: client.get(f"{base}/registrations.csv")
    )
    one(
        "attendance.downloaded",
        "Atelier 3, tour 1",
        lambda: client.get(f"{base}/items/{c}/attendance.pdf"),
    )
    data = {"audience": "confirmed", "subject": "Salle", "body_md": "Salle B."}
    preview = post(client, f"{base}/mailing", data)
    key = re.search(r'name="submission" value="([^"]+)"', preview.text).group(1)
    send = {**data, "step": "send", "expected": "2", "submission": key}
    one("mailing.sent", "Journée ouverte", lambda: post(client, f"{base}/mailing", send))
    one(
        "event.manager_added",
        "Journée ouverte",
        lambda: post(client, f"{base}/managers", {"email": "bob@example.org"}),
    )
    with app.app_context():
        event = db.session.get(Event, event_id)
        times = {
            name: event.local(getattr(event, name)).strftime("%Y-%m-%dT%H:%M")
            for name in ("starts_at", "ends_at")
        }
    form = {"title": "Journée ouverte", "timezone": "Europe/Brussels", "capacity": "80", **times}
    one("event.edited", "Journée ouverte", lambda: post(client, f"{base}/edit", form))
    new = {**form, "title": "Journée 2031", "slug": "journee-2031"}
    new.update(starts_at="2031-05-10T09:00", ends_at="2031-05-10T17:00")
    one("event.created", "Journée 2031", lambda: post(client, "/admin/events/new", new))
    with app.app_context():
        edited = db.session.scalars(db.select(AuditEntry).filter_by(action="event.edited")).one()
        assert edited.detail == {"capacity": [None, 80]}
        sent = db.session.scalars(db.select(AuditEntry).filter_by(action="mailing.sent")).one()
        assert sent.detail == {"audience": "confirmed", "subject": "Salle", "recipients": 2}
        assert sent.actor_id == accounts["alice"]


def test_each_action_through_the_api_leaves_one_entry_naming_the_tokens_owner(
    app, client, organisers
) -> None:
    alice = bearer(organisers["alice"])
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        event_id, ((a, b, _c), (a2, _b2, c2)) = event.id, workshops(event)
    ana, _ = _register(app, event_id, [a, a2], "Ana", "López")
    bruno, _ = _register(app, event_id, [a, a2], "Bruno", "Martin")  # waiting

    def one(action: str, subject: str, method: str, url: str, **body) -> dict:
        last = _last_id(app)
        answer = client.open(url, method=method, headers=alice, **body)
        assert answer.status_code in (200, 201), (action, answer.status_code, answer.data)
        assert _since(app, last) == [(action, "alice@example.org", "api", subject)]
        return answer.json if answer.is_json else {}

    one("event.edited", "Journée d'automne", "PATCH", API, json={"title": "Journée d'automne"})
    room = one("room.created", "Salle Y", "POST", f"{API}/rooms", json={"name": "Salle Y"})
    one("room.changed", "Salle Y", "PATCH", f"{API}/rooms/{room['id']}", json={"capacity": 5})
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.detail == {"capacity": [None, 5]}
    theme = one(
        "theme.created", "7. Emploi", "POST", f"{API}/themes", json={"number": 7, "title": "Emploi"}
    )
    one(
        "theme.changed",
        "7. Emploi et formation",
        "PATCH",
        f"{API}/themes/{theme['id']}",
        json={"title": "Emploi et formation"},
    )
    item = one(
        "item.created",
        "Pause",
        "POST",
        f"{API}/items",
        json={
            "kind": "break",
            "title": "Pause",
            "start": "2031-06-20T10:00",
            "end": "2031-06-20T10:15",
        },
    )
    one(
        "item.changed",
        "Pause café",
        "PATCH",
        f"{API}/items/{item['id']}",
        json={"title": "Pause café"},
    )
    regs = f"{API}/registrations"
    one(
        "registration.cancelled",
        "Ana López <ana.lopez@example.org>",
        "POST",
        f"{regs}/{ana}/cancel",
    )
    # Ana's seat went to Bruno; moving him and checking him in.
    one(
        "registration.moved",
        "Bruno Martin <bruno.martin@example.org>",
        "POST",
        f"{regs}/{bruno}/move",
        json={"workshops": [b, c2]},
    )
    one(
        "registration.checked_in",
        "Bruno Martin <bruno.martin@example.org>",
        "POST",
        f"{regs}/{bruno}/check-in",
    )
    one(
        "registration.confirmed",
        "Ana López <ana.lopez@example.org>",
        "POST",
        f"{regs}/{ana}/confirm",
    )
    one("registrations.exported", "Journée d'automne", "GET", f"{regs}/export?format=xlsx")
    one("registrations.exported", "Journée d'automne", "GET", f"{regs}/export?format=csv")
    created = one(
        "event.created",
        "Journée d'été",
        "POST",
        "/api/v1/organiser/events",
        json={"title": "Journée d'été", "start": "2031-06-20T09:00", "end": "2031-06-20T17:00"},
    )
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.event_id == created["id"] != event_id
    # Bob's token changes nothing and writes nothing.
    last = _last_id(app)
    assert client.post(f"{regs}/{ana}/cancel", headers=bearer(organisers["bob"])).status_code == 404
    assert _since(app, last) == []


def test_the_managers_read_the_trail_newest_first_and_as_csv(app, client, accounts) -> None:
    event_id, _rounds = _event(app, accounts)
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}"
    post(
        client,
        f"{base}/rooms",
        {"name": '=HYPERLINK("x")', "capacity": "3"},
        token_from=f"{base}/rooms",
    )
    post(client, f"{base}/registration", {"value": "off"})
    overview = client.get(f"{base}/")
    assert f'href="{base}/audit"' in overview.text

    page = client.get(f"{base}/audit")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "2 action(s) enregistrée(s)." in text
    assert text.index("Inscriptions fermées") < text.index("Salle créée")
    assert "alice@example.org" in text and "espace organisateurs" in text
    assert 'data-action="event.registration_closed"' in page.text
    assert "=HYPERLINK(&#34;x&#34;)" in page.text  # escaped, as every label

    export = client.get(f"{base}/audit.csv")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = _csv(export)
    assert [row["action"] for row in rows] == ["event.registration_closed", "room.created"]
    assert rows[1]["actor"] == "alice@example.org"
    assert rows[1]["subject"] == '\'=HYPERLINK("x")'  # never run as a formula

    client.set_cookie("lang", "nl")
    dutch = client.get(f"{base}/audit")
    assert "Inscriptions fermées" not in visible_text(dutch.text)
    client.delete_cookie("lang")


def test_another_organiser_gets_404_and_a_visitor_the_login(app, client, accounts) -> None:
    event_id, _rounds = _event(app, accounts)
    base = f"/admin/events/{event_id}"
    assert client.get(f"{base}/audit").status_code in (302, 303)
    assert client.get(f"{base}/audit.csv").status_code in (302, 303)
    login(client, "bob@example.org")
    assert client.get(f"{base}/audit").status_code == 404
    assert client.get(f"{base}/audit.csv").status_code == 404
    administrator = app.test_client()
    login(administrator, "admin@example.org")
    assert administrator.get(f"{base}/audit").status_code == 200


def test_an_erased_person_leaves_the_trail_but_the_actions_stay(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    ana, token = _register(app, event_id, [a, a2], "Ana", "López")
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}"
    post(client, f"{base}/registrations/{ana}/checkin", {"value": "on"})
    post(client, f"{base}/registrations/{ana}/checkin", {"value": "off"})
    assert "López" in client.get(f"{base}/audit").text

    page = client.get(f"/r/{token}/erase")
    erased = client.post(f"/r/{token}/erase", data={"csrf_token": csrf_token(page.text)})
    assert erased.status_code == 303

    trail = client.get(f"{base}/audit").text
    export = client.get(f"{base}/audit.csv").data.decode("utf-8-sig")
    for shown in (trail, export):
        assert "López" not in shown and "Lopez" not in shown and "ana.lopez" not in shown
        assert "personne effacée" in shown
    rows = _csv(client.get(f"{base}/audit.csv"))
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("registration.erased", ""),
        ("registration.checked_out", "alice@example.org"),
        ("registration.checked_in", "alice@example.org"),
    ]
    assert {r["subject_id"] for r in rows} == {str(ana)}
    with app.app_context():
        assert db.session.get(Registration, ana).erased_at is not None


def test_the_yearly_purge_removes_names_from_the_trail(app, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    ana, _token = _register(app, event_id, [a, a2], "Ana", "López")
    with app.app_context():
        event = db.session.get(Event, event_id)
        audit.record(event, "registration.checked_in", db.session.get(Registration, ana))
        event.starts_at -= timedelta(days=800)
        event.ends_at -= timedelta(days=800)
        db.session.commit()
        assert erase_expired() == 1
        labels = db.session.scalars(db.select(AuditEntry.subject_label)).all()
        assert labels == [audit.ERASED_LABEL]


def test_outside_a_request_the_actor_is_the_command_line_and_unknown_actions_are_refused(
    app, accounts
) -> None:
    event_id, _rounds = _event(app, accounts)
    with app.app_context():
        entry = audit.record(event_id, "registrations.exported")
        assert (entry.via, entry.actor_id, entry.actor_email) == ("system", None, "")
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(event_id, "event.burnt")


def test_the_trail_page_costs_the_same_queries_for_2_or_120_entries(app, client, accounts) -> None:
    event_id, _rounds = _event(app, accounts)
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/audit"

    def add(count: int) -> None:
        with app.app_context():
            for n in range(count):
                audit.record(event_id, "registrations.exported", detail={"n": n}, commit=False)
            db.session.commit()

    add(2)
    client.get(url)
    with count_queries(app) as few:
        small = client.get(url)
    add(118)
    with count_queries(app) as many:
        big = client.get(url + "?page=2")
    assert small.status_code == big.status_code == 200
    assert "Page 2 sur 3" in visible_text(big.text)
    assert big.text.count('data-action="registrations.exported"') == 50
    assert len(many) == len(few)


def test_an_upload_of_registrations_is_recorded_with_its_counts_and_a_dry_run_is_not(
    app, client, accounts
) -> None:
    event_id, ((a, _b, _c), (_a2, b2, _c2)) = _event(app, accounts)
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/registrations/import"

    def upload(**extra):
        data = f"first_name,last_name,email,workshops\nEva,Peeters,eva@example.org,{a};{b2}\n"
        return client.post(
            url,
            data={
                "csrf_token": csrf_token(client.get(url).text),
                "file": (io.BytesIO(data.encode()), "inscrits.csv"),
                **extra,
            },
            content_type="multipart/form-data",
        )

    last = _last_id(app)
    assert upload(dry_run="y").status_code == 200
    assert _since(app, last) == []
    assert upload().status_code == 200
    assert _since(app, last) == [
        ("registrations.imported", "alice@example.org", "admin", "Journée ouverte")
    ]
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry)).one()
        assert entry.detail == {"created": 1, "updated": 0, "unchanged": 0, "refused": 0}

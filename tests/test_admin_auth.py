"""Logging in, roles and the URL surface of the organiser area."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import csrf_token, visible_text
from test_admin_support import PASSWORD, accounts_fixture, build_event, login, post  # noqa: F401

from eventapp import create_app
from eventapp.extensions import db, limiter
from eventapp.models import Event, EventStatus, ProgrammeItem, Room, Speaker, Theme, User
from eventapp.registration import Applicant, register


def test_organiser_create_asks_the_password_twice(app, ctx) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["organiser", "create", "Claire@Example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "claire@example.org" in result.output
    user = db.session.scalars(db.select(User)).one()
    assert user.email == "claire@example.org" and not user.is_admin
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")
    assert user.check_password(PASSWORD) and not user.check_password("autre chose")


def test_two_different_passwords_are_asked_again_in_french(app, ctx) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["organiser", "create", "claire@example.org"],
        input=f"{PASSWORD}\nautre chose encore\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Mot de passe : ",
        "Répétez le mot de passe : ",
        "Mot de passe : ",
        "Répétez le mot de passe : ",
        "Compte organisateur créé : claire@example.org",
    ]
    assert result.stderr == "Les deux mots de passe diffèrent ; recommencez.\n"
    assert db.session.scalars(db.select(User)).one().email == "claire@example.org"
    # The input ends before the repetition: nothing is created, said in French.
    ended = runner.invoke(args=["organiser", "create", "x@example.org"], input=f"{PASSWORD}\n")
    assert ended.exit_code == 1
    assert ended.stderr.splitlines()[-1] == "Interrompu."
    assert db.session.scalars(db.select(User)).one().email == "claire@example.org"


def test_organiser_create_from_stdin_and_its_refusals(app, ctx) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=["organiser", "create", "root@example.org", "--admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert ok.exit_code == 0 and "administrateur" in ok.output
    twice = runner.invoke(
        args=["organiser", "create", "ROOT@example.org", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert twice.exit_code != 0
    assert "existe déjà" in twice.output and "Traceback" not in twice.output
    short = runner.invoke(
        args=["organiser", "create", "x@example.org", "--password-stdin"], input="court\n"
    )
    assert short.exit_code != 0 and "12 caractères" in short.output
    bad = runner.invoke(
        args=["organiser", "create", "pas-une-adresse", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert bad.exit_code != 0 and "invalide" in bad.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_a_password_that_is_not_utf8_is_refused_in_one_line(tmp_path) -> None:
    """The real command, reading bytes that are not UTF-8 from its standard input."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTAPP_")}
    env |= {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "EVENTAPP_SECRET_KEY": "x" * 32,
        "LC_ALL": "C.UTF-8",
    }
    command = [str(Path(sys.executable).parent / "eventapp")]
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    answer = subprocess.run(
        [*command, "organiser", "create", "b@example.org", "--password-stdin"],
        input=b"\xff\xfe un mot de passe assez long\n",
        env=env,
        capture_output=True,
    )
    assert answer.returncode != 0
    error = answer.stderr.decode()
    assert "Le mot de passe n'est pas du texte UTF-8 valide." in error
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1


def test_login_form_has_the_contract_fields(client) -> None:
    page = client.get("/admin/login")
    assert page.status_code == 200
    for name in ("email", "password", "csrf_token"):
        assert f'name="{name}"' in page.text


def test_login_then_logout(client, accounts) -> None:
    answer = login(client, "Alice@example.org")
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/"
    assert "alice@example.org" in visible_text(client.get("/admin/").text)
    assert client.get("/admin/logout").status_code == 405
    out = post(client, "/admin/logout")
    assert out.status_code == 303
    assert client.get("/admin/").headers["Location"].startswith("/admin/login")


def test_wrong_password_is_refused_beside_the_field(client, accounts) -> None:
    answer = login(client, "alice@example.org", "pas le bon mot de passe")
    assert answer.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect." in visible_text(answer.text)
    assert 'id="password-error"' in answer.text
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_cannot_log_in(client, accounts, app) -> None:
    with app.app_context():
        db.session.get(User, accounts["bob"]).active = False
        db.session.commit()
    assert login(client, "bob@example.org").status_code == 400


def test_login_redirects_back_only_inside_the_organiser_area(client, accounts) -> None:
    page = client.get("/admin/login?next=https://evil.example/")
    answer = client.post(
        "/admin/login",
        data={
            "email": "alice@example.org",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert answer.headers["Location"] == "/admin/"
    anonymous = client.application.test_client()
    sent = anonymous.get("/admin/speakers")
    assert "next=%2Fadmin%2Fspeakers" in sent.headers["Location"]


def test_login_attempts_are_rate_limited(client, accounts) -> None:
    limiter.reset()
    page = client.get("/admin/login")
    token = csrf_token(page.text)
    codes = []
    for number in range(12):
        answer = client.post(
            "/admin/login",
            data={"email": f"guess{number}@example.org", "password": "x", "csrf_token": token},
        )
        codes.append(answer.status_code)
    assert codes[:10] == [400] * 10
    assert codes[10:] == [429, 429]
    # The right password does not get through either until the window passes.
    answer = client.post(
        "/admin/login",
        data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 429
    limiter.reset()


def test_guessing_one_account_is_limited_across_addresses(client, accounts) -> None:
    limiter.reset()
    token = csrf_token(client.get("/admin/login").text)
    codes = [
        client.post(
            "/admin/login",
            data={"email": "alice@example.org", "password": f"essai {n}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        ).status_code
        for n in range(6)
    ]
    assert codes == [400] * 5 + [429]
    limiter.reset()


def test_session_cookie_is_httponly_and_samesite(client, accounts) -> None:
    login(client, "alice@example.org")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # served over http in tests


def test_session_cookie_is_secure_in_production(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EVENTAPP_SESSION_COOKIE_SECURE", raising=False)
    production = create_app(
        {
            "SECRET_KEY": "x",
            "BASE_URL": "https://events.example.org",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        },
        instance_path=str(tmp_path),
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("EVENTAPP_SESSION_COOKIE_SECURE", "true")
    explicit = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'q.sqlite3'}"},
        instance_path=str(tmp_path),
    )
    assert explicit.config["SESSION_COOKIE_SECURE"] is True


# --- the URL surface ------------------------------------------------------------------


def _admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/")]


def _url(rule, values: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)


def test_every_admin_page_sends_an_anonymous_visitor_to_the_login(app, client) -> None:
    token = csrf_token(client.get("/admin/login").text)
    checked = 0
    for rule in _admin_rules(app):
        if rule.endpoint == "admin.login":
            continue
        url = _url(rule, {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method, data={"csrf_token": token})
            if rule.endpoint == "admin.login_code":  # the second step, before any password
                assert answer.status_code == 303 and answer.headers["Location"] == "/admin/login"
                continue
            assert answer.status_code == 302, (method, url, answer.status_code)
            assert answer.headers["Location"].startswith("/admin/login?next="), (method, url)
            checked += 1
    assert checked >= 30


def _snapshot() -> list:
    rows = []
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entry":  # downloads are recorded there: checked apart
            continue
        rows.append(sorted(map(tuple, db.session.execute(table.select()).all()), key=repr))
    return rows


def test_no_state_changing_route_answers_get(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["admin"])
        event = db.session.get(Event, event_id)
        event.themes.append(Theme(number=1, title="Un thème"))
        db.session.commit()
        values = {
            "event_id": event_id,
            "room_id": event.rooms[0].id,
            "theme_id": event.themes[0].id,
            "item_id": event.items[0].id,
            "speaker_id": db.session.scalars(db.select(Speaker.id)).first(),
            "user_id": accounts["bob"],
            "registration_id": register(
                event, Applicant("Ana", "López", "ana@example.org"), [event.items[1]]
            ).registration.id,
        }
        db.session.remove()
    login(client, "admin@example.org")
    with app.app_context():
        before = _snapshot()
        db.session.remove()
    form_pages = 0
    for rule in _admin_rules(app):
        url = _url(rule, values)
        answer = client.get(url)
        if rule.endpoint in ("admin.login", "admin.login_code"):
            assert answer.status_code == 302  # already logged in: to the events
        elif "GET" in rule.methods:
            assert answer.status_code == 200, (url, answer.status_code)
            form_pages += "POST" in rule.methods
        else:
            assert answer.status_code == 405, (url, answer.status_code)
    with app.app_context():
        assert _snapshot() == before, "a GET changed the database"
        recorded = set(db.session.scalars(db.select(db.text("action FROM audit_entry"))))
        assert recorded == {"registrations.exported", "attendance.downloaded"}
    assert form_pages >= 8


def test_an_organiser_cannot_reach_another_organisers_event(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        room_id, item_id = event.rooms[1].id, event.items[1].id
        db.session.remove()
    login(client, "bob@example.org")
    assert "Journée 2030" not in client.get("/admin/").text
    base = f"/admin/events/{event_id}"
    for url in (
        f"{base}/",
        f"{base}/edit",
        f"{base}/programme",
        f"{base}/rooms",
        f"{base}/themes",
        f"{base}/duplicate",
        f"{base}/items/{item_id}/edit",
        f"{base}/rooms/{room_id}/edit",
        f"{base}/items/new",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client.get("/admin/").text)
    for url, data in (
        (f"{base}/publish", {}),
        (
            f"{base}/edit",
            {
                "title": "Volé",
                "starts_at": "2030-05-10T09:00",
                "ends_at": "2030-05-10T17:00",
                "timezone": "Europe/Brussels",
            },
        ),
        (f"{base}/rooms/{room_id}/delete", {}),
        (f"{base}/items/{item_id}/delete", {}),
        (
            f"{base}/items/{item_id}/move",
            {f"move-{item_id}-room_id": "0", f"move-{item_id}-starts_at": "2030-05-10T08:00"},
        ),
        (f"{base}/registration", {"value": "off"}),
        (f"{base}/managers", {"email": "bob@example.org"}),
    ):
        answer = client.post(url, data={**data, "csrf_token": token})
        assert answer.status_code == 404, url
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.title == "Journée 2030" and event.status == EventStatus.DRAFT
        assert event.registration_open and [m.email for m in event.managers] == [
            "alice@example.org"
        ]
        assert db.session.get(Room, room_id) is not None
        assert db.session.get(ProgrammeItem, item_id).starts_at.hour == 12  # 14:00 in Brussels


def test_a_manager_added_by_email_can_then_edit_and_the_admin_sees_everything(
    app, client, accounts
) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        db.session.remove()
    login(client, "alice@example.org")
    unknown = post(client, f"/admin/events/{event_id}/managers", {"email": "nobody@example.org"})
    assert unknown.status_code == 400
    assert "Aucun compte organisateur actif pour nobody@example.org" in visible_text(unknown.text)
    added = post(client, f"/admin/events/{event_id}/managers", {"email": "BOB@example.org"})
    assert added.status_code == 303
    bob = client.application.test_client()
    login(bob, "bob@example.org")
    assert "Journée 2030" in bob.get("/admin/").text
    assert bob.get(f"/admin/events/{event_id}/programme").status_code == 200
    admin = client.application.test_client()
    login(admin, "admin@example.org")
    assert "Journée 2030" in admin.get("/admin/").text
    assert admin.get("/admin/accounts").status_code == 200
    assert bob.get("/admin/accounts").status_code == 403


def test_an_administrator_creates_an_account_with_messages_beside_the_fields(
    app, client, accounts
) -> None:
    login(client, "admin@example.org")
    refused = post(
        client,
        "/admin/accounts/new",
        {"email": "alice@example.org", "password": PASSWORD, "confirm": "autre"},
    )
    assert refused.status_code == 400
    assert 'id="confirm-error"' in refused.text
    assert "Les deux mots de passe diffèrent." in visible_text(refused.text)
    created = post(
        client,
        "/admin/accounts/new",
        {"email": "dora@example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert created.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 4


@pytest.mark.parametrize("value", ["off"])
def test_an_administrator_can_deactivate_an_account(app, client, accounts, value) -> None:
    login(client, "admin@example.org")
    post(client, f"/admin/accounts/{accounts['bob']}/active", {"value": value})
    assert login(client.application.test_client(), "bob@example.org").status_code == 400

"""What every answer tells browsers (eventapp.security), over every route of the app; https
deployments (HSTS, Secure cookies); and who the client is behind reverse proxies
(EVENTAPP_TRUSTED_PROXIES): the rate limits count real clients, forged headers count nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_event, workshops
from regutil import person, post_registration, reset_rate_limits, token_of
from test_admin_support import PASSWORD, accounts_fixture, login  # noqa: F401

from eventapp import create_app
from eventapp.config import ConfigError
from eventapp.extensions import db
from eventapp.models import Registration

SEEN = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_protected(response, path: str) -> None:
    for name, value in SEEN.items():
        assert response.headers.get(name) == value, (path, response.status_code, name)
    directives = csp_directives(response)
    assert directives.get("frame-ancestors") == ["'none'"], (path, directives)
    scripts = directives.get("script-src") or directives.get("default-src")
    assert scripts == ["'self'"], (path, directives)
    assert "'unsafe-eval'" not in str(directives), path
    # Style attributes only (the builder's grid); never a <style> element, never a script.
    assert "'unsafe-inline'" not in directives.get("style-src", []), path
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    expected = "no-referrer" if path.startswith("/r/") else "same-origin"
    assert response.headers.get("Referrer-Policy") == expected, (path, response.status_code)
    assert "Strict-Transport-Security" not in response.headers  # the test app is http


@pytest.fixture
def surface(app, accounts) -> dict[str, object]:
    """An open event with one registration: real values for every URL argument."""
    reset_rate_limits()
    with app.app_context():
        event = make_event()
        picks = [block[n] for n, block in enumerate(workshops(event))]  # a theme each
        event_id, slug = event.id, event.slug
    client = app.test_client()
    answer = post_registration(client, slug, picks)
    assert answer.status_code == 303
    token = token_of(answer.headers["Location"])
    with app.app_context():
        registration = db.session.scalars(db.select(Registration)).one()
        item = registration.event.items[0]
        values = {
            "event_id": event_id,
            "slug": slug,
            "token": token,
            "registration_id": registration.id,
            "item_id": picks[0],
            "room_id": item.room_id or registration.event.rooms[0].id,
            "theme_id": registration.event.themes[0].id if registration.event.themes else 1,
            "speaker_id": 1,
            "user_id": accounts["alice"],
            "token_id": 1,
            "key": "introduction",
        }
        db.session.remove()
    return values


FILES = {"static": "css/site.css", "api_docs_assets": "swagger-ui.css"}


def every_route(app, values: dict[str, object]):
    """(method, path) for each rule of the url_map: GET where it answers GET, else POST."""
    for rule in app.url_map.iter_rules():
        arguments = {
            name: FILES[rule.endpoint] if name == "filename" else values[name]
            for name in rule.arguments
        }
        path = rule.build(arguments, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        yield rule, method, path


def test_every_route_carries_the_security_headers(app, surface) -> None:
    anonymous = app.test_client()
    organiser = app.test_client()
    assert login(organiser, "admin@example.org").status_code == 303
    rules = list(app.url_map.iter_rules())
    statuses: dict[str, set[int]] = {"public": set(), "admin": set(), "api": set(), "files": set()}
    seen = 0
    for rule, method, path in every_route(app, surface):
        for client in (anonymous, organiser):
            reset_rate_limits()
            response = client.open(path, method=method)
            assert_protected(response, path)
            part = (
                "files"
                if rule.endpoint in FILES
                else "admin"
                if path.startswith("/admin/")
                else "api"
                if path.startswith("/api/")
                else "public"
            )
            statuses[part].add(response.status_code)
        seen += 1
    assert seen == len(rules) > 90
    # Real pages, not only refusals: each part answered 200 somewhere, and the error pages
    # (login redirects, 400 without CSRF token, 401 without bearer token, 404) too.
    for part, codes in statuses.items():
        assert 200 in codes, (part, codes)
    assert {302, 400, 404} <= statuses["admin"] | statuses["public"]
    assert 401 in statuses["api"]
    # Errors outside any route: an unknown path, a wrong method.
    assert_protected(anonymous.get("/no/such/page"), "/no/such/page")
    assert_protected(anonymous.delete("/"), "/")


def test_personal_pages_keep_no_store_and_no_referrer(app, surface) -> None:
    client = app.test_client()
    token, slug = surface["token"], surface["slug"]
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    agenda = client.get(f"/r/{token}/calendar.ics")
    assert agenda.status_code == 200 and "BEGIN:VCALENDAR" in agenda.text
    assert agenda.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in agenda.headers["Cache-Control"]
    public = client.get(f"/events/{slug}/")
    assert public.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in public.headers.get("Cache-Control", "")


def test_the_swagger_page_has_no_inline_script(client) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    for attributes, body in scripts:
        # Either a file, or data (JSON) that browsers never run.
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        if "src=" in attributes:
            assert not body.strip()
    config = re.search(r'id="swagger-ui-config">(.*?)</script>', page.text).group(1)
    assert '"url": "/api/v1/openapi.json"' in config and '"validatorUrl": null' in config


def configured(tmp_path: Path, **overrides) -> object:
    return create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides},
        instance_path=str(tmp_path),
    )


def test_https_base_url_brings_hsts_and_secure_cookies(tmp_path: Path, accounts) -> None:
    app = configured(tmp_path, BASE_URL="https://events.example.org")
    client = app.test_client()
    page = client.get("/admin/login", base_url="https://events.example.org")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    language = client.post(
        "/language",
        data={
            "lang": "nl",
            "next": "/",
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1),
        },
        base_url="https://events.example.org",
    )
    assert any("Secure" in value for value in language.headers.getlist("Set-Cookie"))

    plain = configured(tmp_path, BASE_URL="http://127.0.0.1:5000")
    answer = plain.test_client().get("/admin/login")
    assert "Strict-Transport-Security" not in answer.headers
    assert "Secure" not in answer.headers["Set-Cookie"]
    assert plain.config["REMEMBER_COOKIE_SECURE"] is False
    # Said explicitly, the operator's choice wins.
    forced = configured(tmp_path, BASE_URL="https://e.example.org", SESSION_COOKIE_SECURE=False)
    assert forced.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "true", '"two"'])
def test_trusted_proxies_refuses_what_is_not_a_count(tmp_path, monkeypatch, value) -> None:
    monkeypatch.setenv("EVENTAPP_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="EVENTAPP_TRUSTED_PROXIES must be the number"):
        create_app(instance_path=str(tmp_path))
    env = {**os.environ, "EVENTAPP_TRUSTED_PROXIES": value, "EVENTAPP_SECRET_KEY": "x"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "eventapp"), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "EVENTAPP_TRUSTED_PROXIES" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def registering_app(tmp_path: Path, proxies: int):
    """An app of its own (its own database) with N trusted proxies and a limit of 2 a minute."""
    app = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxies.sqlite3'}",
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "EXPORTS_DIR": str(tmp_path / "exports"),
            "TRUSTED_PROXIES": proxies,
            "REGISTRATION_RATE_LIMIT": "2 per minute",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        db.create_all()
        event = make_event(rounds=1)
        picks = [workshops(event)[0][0]]
        slug = event.slug
        db.session.remove()
    reset_rate_limits()
    return app, slug, picks


def register_from(app, slug, picks, number: int, socket: str, forwarded: str | None) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = socket
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    answer = post_registration(client, slug, picks, person(f"p{number}@example.org"), **headers)
    return answer.status_code


def test_one_trusted_proxy_limits_each_forwarded_client(tmp_path: Path) -> None:
    app, slug, picks = registering_app(tmp_path, proxies=1)
    try:
        proxy = "10.0.0.1"  # every request comes through nginx
        ana = [register_from(app, slug, picks, n, proxy, "198.51.100.7") for n in range(3)]
        assert ana == [303, 303, 429]
        # Another client behind the same proxy still registers: the limit is hers alone.
        bob = [register_from(app, slug, picks, n, proxy, "203.0.113.9") for n in range(3, 5)]
        assert bob == [303, 303]
        # A client that writes its own X-Forwarded-For: nginx appends the real address,
        # and only the last one (the proxy's own line) is believed.
        forged = register_from(app, slug, picks, 9, proxy, "203.0.113.9, 198.51.100.50")
        assert forged == 303
    finally:
        with app.app_context():
            db.engine.dispose()
        reset_rate_limits()


def test_no_trusted_proxy_ignores_forged_forwarded_for(tmp_path: Path) -> None:
    app, slug, picks = registering_app(tmp_path, proxies=0)
    try:
        socket = "192.0.2.33"
        codes = [
            register_from(app, slug, picks, n, socket, f"198.51.100.{n}, 203.0.113.{n}")
            for n in range(3)
        ]
        # A new forged address on each request changes nothing: the socket is counted.
        assert codes == [303, 303, 429]
        assert register_from(app, slug, picks, 7, "192.0.2.34", None) == 303
    finally:
        with app.app_context():
            db.engine.dispose()
        reset_rate_limits()

"""Served with the repository's gunicorn.conf.py, mail leaves the request: the server
starts `eventapp mail send --watch` beside its workers, which delivers what registrations
queued, and stops with the server (or by itself when the server is killed)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from factories import make_event, workshops
from served import Browser, child_processes, serving

from eventapp import create_app
from eventapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def _watcher_of(master: int) -> int:
    [pid] = [pid for pid, command in child_processes(master).items() if "--watch" in command]
    return pid


def _gone(pid: int, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited; its parent has not reaped it yet
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict]:
    uri = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, str(tmp_path / "i"))
    with app.app_context():
        db.create_all()
        event = make_event(slug="courrier", rounds=1, themes=2)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
        db.engine.dispose()
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "watcher-test-secret",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
        "EVENTAPP_ACCESS_LOG": "",
    }
    with serving(env, tmp_path, 2, ROOT / "gunicorn.conf.py") as (port, server):
        yield {"port": port, "server": server, "slug": slug, "item_id": item_id,
               "outbox": tmp_path / "outbox"}  # fmt: skip


def _register(port: int, slug: str, item_id: int) -> str:
    person = Browser(port)
    status, _headers, page = person.request("GET", f"/events/{slug}/register")
    assert status == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token, "first_name": "Inès", "last_name": "Dubois",
        "email": "ines.dubois@example.org", "consent": "y", "workshop_1": str(item_id),
    }  # fmt: skip
    status, headers, _page = person.request("POST", f"/events/{slug}/register", form)
    assert status == 303, _page
    return headers["Location"]


def test_the_server_delivers_mail_beside_its_workers_and_stops_the_watcher(site) -> None:
    master = site["server"].pid
    watcher = _watcher_of(master)
    location = _register(site["port"], site["slug"], site["item_id"])
    deadline = time.monotonic() + 60
    while not list(site["outbox"].glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [written] = site["outbox"].glob("*.eml")
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "ines.dubois@example.org"
    assert location.rstrip("/").rsplit("/", 1)[1] in message.get_body(("plain",)).get_content()
    os.kill(master, signal.SIGTERM)
    site["server"].wait(timeout=60)
    assert _gone(watcher), "the watcher outlived the server"


def test_the_watcher_stops_by_itself_when_the_server_is_killed(site) -> None:
    master = site["server"].pid
    watcher = _watcher_of(master)
    os.kill(master, signal.SIGKILL)
    site["server"].wait(timeout=60)
    assert _gone(watcher), "the watcher outlived a killed server"

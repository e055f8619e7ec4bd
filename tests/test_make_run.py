"""`make run`, the README's first command, as a person runs it: on another port, the links
of mails and calendars follow the port, and a mail due later is delivered without a request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from eventapp import create_app
from eventapp.extensions import db
from eventapp.models import OutboxMessage
from eventapp.models.types import utcnow

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="make run serves SQLite; once is enough",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return None


def _answer(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.read().decode("utf-8")
    except OSError:
        return None


def test_make_run_on_another_port(tmp_path: Path) -> None:
    port = _free_port()
    database = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    outbox = tmp_path / "outbox"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EVENTAPP_") and key not in ("PORT", "MAKEFLAGS", "MAKELEVEL")
    }
    env |= {
        "PORT": str(port),
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": database,
        "EVENTAPP_OUTBOX_DIR": str(outbox),
        "EVENTAPP_EXPORTS_DIR": str(tmp_path / "exports"),
        "EVENTAPP_SECRET_KEY": "make-run-test-" + "x" * 32,
    }
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        feed = _wait_for(
            lambda: _answer(f"http://127.0.0.1:{port}/events/journee-reseau-2015/calendar.ics"),
            90,
        )
        assert feed is not None, "make run did not serve the demo"
        assert f"http://127.0.0.1:{port}/events/journee-reseau-2015/" in feed.replace("\r\n ", "")
        assert "127.0.0.1:5000" not in feed

        # A mail due in a moment (as a calendar update gathered for a few minutes would be):
        # no request comes to deliver it; the watcher beside the server does.
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "x" * 32},
            instance_path=str(tmp_path / "instance"),
        )
        with app.app_context():
            db.session.add(
                OutboxMessage(
                    kind="message",
                    recipient="ana@example.org",
                    sender="eventapp@example.org",
                    subject="Un message pour plus tard",
                    body_text="Bonjour Ana",
                    body_html="<p>Bonjour Ana</p>",
                    next_attempt_at=utcnow() + timedelta(seconds=1),
                )
            )
            db.session.commit()
            db.session.remove()
        written = _wait_for(lambda: list(outbox.glob("*.eml")), 30)
        assert written, "the mail due later was never delivered"
        assert "Un message pour plus tard" in written[0].read_text("utf-8")
        assert _watchers(outbox), "no mail watcher runs beside the server"
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # Stopping make run stops its watcher too.
    assert _wait_for(lambda: not _watchers(outbox), 10), "the mail watcher outlived make run"


def _watchers(outbox: Path) -> list[int]:
    """The `eventapp mail send --watch` processes delivering into this outbox."""
    marker = f"EVENTAPP_OUTBOX_DIR={outbox}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            if b"--watch" in command and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found

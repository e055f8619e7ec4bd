"""Crash consistency. A gunicorn worker killed (SIGKILL) while registrations stream in loses
no answered registration and leaves no half row; the mail watcher killed in the middle of
an SMTP delivery delivers every mail after its restart: at least once, and exactly once for
the rows it had already marked sent. On SQLite (WAL) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from factories import make_event, workshops
from served import child_processes, free_port, serving
from sqlalchemy import select
from stream import RegistrationStream, check_whole
from test_mail_watcher import _gone

from eventapp import create_app
from eventapp.extensions import db
from eventapp.models import OutboxMessage
from eventapp.models.outbox import OutboxStatus
from eventapp.registration.rules import Applicant
from eventapp.registration.service import register

PEOPLE = 120
SEATS = 25
ON_POSTGRES = os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql")
BACKENDS = ["sqlite"] + (["postgresql"] if ON_POSTGRES else [])


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    """An app on a database of the suite's kind (SQLite: a file of its own, in WAL)."""
    if request.param == "postgresql":
        app = request.getfixturevalue("app")  # its tables, emptied after the test
        yield {"app": app, "uri": app.config["SQLALCHEMY_DATABASE_URI"]}
        return
    uri = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, str(tmp_path / "i"))
    with app.app_context():
        db.create_all()
    yield {"app": app, "uri": uri}
    with app.app_context():
        db.engine.dispose()


def _workers(master: int) -> list[int]:
    return [pid for pid, command in child_processes(master).items() if "--watch" not in command]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_a_worker_killed_mid_stream_loses_no_answered_registration(
    database: dict, tmp_path: Path, capsys
) -> None:
    app, uri = database["app"], database["uri"]
    with app.app_context():
        event = make_event(slug="coupure", rounds=1, themes=2, workshop_capacity=SEATS)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "crash-test-secret",
        "EVENTAPP_RATELIMIT_ENABLED": "false",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
    }
    kills = 0
    with serving(env, tmp_path, 2) as (port, server):
        stream = RegistrationStream(port, slug, item_id, PEOPLE, threads=4).start()
        shuffle = random.Random(18)
        for answered in (15, 40, 65, 90):  # four kills, each while requests are in flight
            stream.wait_for(answered)
            time.sleep(shuffle.uniform(0, 0.2))
            victims = _workers(server.pid)
            if victims:
                os.kill(shuffle.choice(victims), signal.SIGKILL)
                kills += 1
        stream.join()
    answered = stream.answered()
    broken = sum(1 for answer in stream.answers if answer.status is None)
    codes = Counter(answer.status for answer in stream.answers)
    assert kills == 4
    assert set(codes) <= {303, None}, codes  # an answer is a 303 or a cut connection

    with app.app_context():
        counts = check_whole(slug, answered, SEATS)
    with capsys.disabled():
        print(
            f"\n[crash {uri.split(':')[0]}] {kills} workers killed: {len(answered)} answered, "
            f"{broken} cut; stored {counts}"
        )
    # A cut request either committed whole or left nothing.
    assert len(answered) <= counts["rows"] <= len(answered) + broken


class SlowSink:
    """An SMTP server that takes its time over each message (0.3 s after receiving it,
    before saying 250), keeping every recipient it received."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.received.extend(envelope.rcpt_tos)
        await asyncio.sleep(0.3)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self._lock:
            return len(self.received)


def _watcher(uri: str, port: int, tmp_path: Path) -> subprocess.Popen:
    env = os.environ | {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "x",
        "EVENTAPP_MAIL_SERVER": "127.0.0.1",
        "EVENTAPP_MAIL_PORT": str(port),
        "EVENTAPP_MAIL_CLAIM_LEASE": "2",  # a killed sender's claim lapses after 2 s
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "eventapp"), "mail", "send", "--watch",
         "--interval", "0.2"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.status)).all()
        db.session.remove()
    return {recipient: status.value for recipient, status in rows}


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_the_mail_watcher_killed_mid_delivery_delivers_everything_after_restart(
    database: dict, tmp_path: Path, capsys
) -> None:
    app, uri = database["app"], database["uri"]
    mails = 24
    with app.app_context():
        event = make_event(slug="courrier-coupe", rounds=1, themes=2, workshop_capacity=10)
        [[first, _second]] = workshops(event)
        item = db.session.get(type(event.items[0]), first)
        for number in range(mails):
            applicant = Applicant("Personne", f"N{number}", f"p{number}@example.org")
            register(event, applicant, [item])
        db.session.remove()
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        watcher = _watcher(uri, port, tmp_path)
        deadline = time.monotonic() + 60
        while sink.count() < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # into the 0.3 s the sink takes: the mail is out, not yet "sent"
        watcher.kill()
        watcher.wait(timeout=30)
        marked_sent = {r for r, status in _statuses(app).items() if status == "sent"}
        before_restart = Counter(sink.received)
        assert 0 < len(marked_sent) < mails, "killed in the middle of the outbox"

        restarted = _watcher(uri, port, tmp_path)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if set(_statuses(app).values()) == {"sent"}:
                break
            time.sleep(0.2)
        restarted.send_signal(signal.SIGTERM)
        assert _gone(restarted.pid), "the watcher stops on SIGTERM"
        restarted.wait(timeout=30)
    finally:
        controller.stop()

    received = Counter(sink.received)
    everyone = {f"p{number}@example.org" for number in range(mails)}
    assert set(_statuses(app).values()) == {"sent"}, "every row ends sent"
    assert set(received) == everyone, "every mail delivered at least once"
    twice = {recipient for recipient, n in received.items() if n > 1}
    assert not twice & marked_sent, "a row marked sent is never delivered again"
    assert all(received[r] == 1 for r in marked_sent)
    with capsys.disabled():
        print(
            f"\n[watcher {uri.split(':')[0]}] killed after {sum(before_restart.values())} "
            f"deliveries ({len(marked_sent)} marked sent); after restart every one of "
            f"{mails} delivered, {len(twice)} twice (out but not yet marked when killed)"
        )
    with app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count()).where(OutboxMessage.status == OutboxStatus.QUEUED)
            )
            == 0
        )
        db.session.remove()

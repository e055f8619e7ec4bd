"""Two hosts share a PostgreSQL database and send mail: a mail being sent stays locked until
its sender commits. A host whose clock runs ahead by more than the claim's lease waits for
it instead of sending it again, and erasing the person waits for it instead of deadlocking."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from test_undeliverable_mail import _registered, rounds  # noqa: F401

from eventapp.extensions import db
from eventapp.mail import deliver_due, outbox
from eventapp.models import OutboxMessage, Registration
from eventapp.models.types import utcnow
from eventapp.registration import erase

pytestmark = pytest.mark.skipif(
    not os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="several hosts share PostgreSQL; an SQLite database has one host, one clock",
)


@dataclass
class SlowSender:
    """A sender in the middle of handing a mail to the SMTP server until ``finish`` is set."""

    sending: threading.Event = field(default_factory=threading.Event)
    finish: threading.Event = field(default_factory=threading.Event)
    recipients: list[str] = field(default_factory=list)
    reports: dict = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)

    def send(self, row, message) -> None:
        self.recipients.append(row.recipient)
        self.sending.set()
        self.finish.wait(timeout=30)

    def run(self, app, name: str, action) -> threading.Thread:
        def target() -> None:
            with app.app_context():
                try:
                    self.reports[name] = action()
                except BaseException as error:  # noqa: BLE001  (checked by the test)
                    self.errors.append(error)
                finally:
                    db.session.remove()

        thread = threading.Thread(target=target)
        thread.start()
        return thread


@pytest.fixture
def sender(app, rounds, monkeypatch) -> Iterator[tuple[SlowSender, int, threading.Thread]]:  # noqa: F811
    """Ana's confirmation being sent (its row id), by a sender that holds on."""
    row_id = _registered(app, rounds)
    slow = SlowSender()
    monkeypatch.setattr(outbox, "send", slow.send)
    first = slow.run(app, "first", deliver_due)
    assert slow.sending.wait(timeout=30)
    yield slow, row_id, first
    slow.finish.set()
    first.join(timeout=30)


def _waits(thread: threading.Thread) -> None:
    thread.join(timeout=1.5)  # PostgreSQL's deadlock_timeout is 1 s
    assert thread.is_alive(), "it did not wait for the mail being sent"


def test_a_host_whose_clock_runs_ahead_waits_for_the_mail_being_sent(app, sender) -> None:
    slow, row_id, first = sender
    # Twenty minutes ahead: the first host's ten-minute lease looks over to this one.
    ahead = slow.run(app, "ahead", lambda: deliver_due(now=utcnow() + timedelta(minutes=20)))
    _waits(ahead)
    slow.finish.set()
    first.join(timeout=30)
    ahead.join(timeout=30)

    assert not slow.errors
    assert slow.recipients == ["ana@example.org"]
    assert (slow.reports["first"].sent, slow.reports["ahead"].sent) == (1, 0)
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == "sent" and row.attempts == 1
        db.session.remove()


def test_erasing_the_person_waits_for_the_mail_being_sent(app, sender) -> None:
    slow, row_id, first = sender

    def erase_ana() -> None:
        erase(db.session.scalars(db.select(Registration)).one())

    erasing = slow.run(app, "erasure", erase_ana)
    _waits(erasing)
    slow.finish.set()
    first.join(timeout=30)
    erasing.join(timeout=30)

    assert not slow.errors, slow.errors
    assert slow.recipients == ["ana@example.org"] and slow.reports["first"].sent == 1
    with app.app_context():
        registration = db.session.scalars(db.select(Registration)).one()
        assert registration.erased_at is not None and registration.email == ""
        assert db.session.get(OutboxMessage, row_id) is None
        db.session.remove()

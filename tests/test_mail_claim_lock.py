"""Two hosts share a PostgreSQL database and send mail: a host whose clock runs ahead by more
than the claim's lease must still not send a mail that another host is sending."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from test_undeliverable_mail import _registered, rounds  # noqa: F401

from eventapp.extensions import db
from eventapp.mail import deliver_due, outbox
from eventapp.models import OutboxMessage
from eventapp.models.types import utcnow

pytestmark = pytest.mark.skipif(
    not os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="several hosts share PostgreSQL; an SQLite database has one host, one clock",
)


def test_a_host_whose_clock_runs_ahead_waits_for_the_mail_being_sent(
    app,
    rounds,
    monkeypatch,  # noqa: F811
) -> None:
    row_id = _registered(app, rounds)
    sending = threading.Event()
    finish = threading.Event()
    recipients: list[str] = []

    def slow_send(row, message) -> None:
        recipients.append(row.recipient)
        sending.set()
        finish.wait(timeout=30)

    monkeypatch.setattr(outbox, "send", slow_send)
    reports = {}

    def deliver(name: str, ahead: timedelta) -> None:
        with app.app_context():
            reports[name] = deliver_due(now=utcnow() + ahead)
            db.session.remove()

    first = threading.Thread(target=deliver, args=("first", timedelta(0)))
    first.start()
    assert sending.wait(timeout=30)
    # Twenty minutes ahead: the first host's ten-minute lease looks over to this one.
    ahead = threading.Thread(target=deliver, args=("ahead", timedelta(minutes=20)))
    ahead.start()
    ahead.join(timeout=1)
    assert ahead.is_alive(), "the second host did not wait for the mail being sent"
    finish.set()
    first.join(timeout=30)
    ahead.join(timeout=30)

    assert recipients == ["ana@example.org"]
    assert (reports["first"].sent, reports["ahead"].sent) == (1, 0)
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == "sent" and row.attempts == 1
        db.session.remove()

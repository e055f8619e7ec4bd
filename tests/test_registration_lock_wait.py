"""How a registration waits for SQLite's write lock held by another writer (another gunicorn
worker, an import): it asks again every millisecond or less, then leaves a long wait to
SQLite's busy timeout, and in every case stores the person once or not at all."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from factories import make_event
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from eventapp.extensions import db
from eventapp.models import Registration
from eventapp.programme import choice_blocks
from eventapp.registration import Applicant, locking, register

pytestmark = pytest.mark.skipif(
    os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="SQLite's write lock",
)


def _other_writer(app) -> sqlite3.Connection:
    """A second connection to the same file that takes the write lock, as a worker would."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    return writer


def _picks(event) -> list:
    return [block.workshops[0] for block in choice_blocks(event)]


def _stored(email: str) -> int:
    return db.session.scalar(select(func.count()).where(Registration.email == email))


def test_a_registration_waits_for_the_writer_ahead_then_is_stored(app, ctx) -> None:
    event = make_event(workshop_capacity=10)
    picks = _picks(event)
    writer = _other_writer(app)
    released = threading.Event()

    def finish_after_a_while() -> None:
        threading.Event().wait(0.3)
        released.set()
        writer.execute("COMMIT")

    threading.Thread(target=finish_after_a_while).start()
    outcome = register(event, Applicant("Ada", "Lovelace", "ada@example.org"), picks)
    writer.close()

    assert released.is_set()  # it went through only once the other writer was done
    assert outcome.created and _stored("ada@example.org") == 1
    # Its connection waits SQLite's way again for the other writes (organisers, mails).
    busy_timeout = db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert busy_timeout == locking.SQLITE_BUSY_TIMEOUT_MS


def test_a_writer_that_holds_on_gets_the_error_and_nothing_is_stored(app, ctx, monkeypatch) -> None:
    event = make_event(workshop_capacity=10)
    picks = _picks(event)
    monkeypatch.setattr(locking, "SQLITE_POLL_SECONDS", 0.05)
    monkeypatch.setattr(locking, "SQLITE_BUSY_TIMEOUT_MS", 100)
    writer = _other_writer(app)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            register(event, Applicant("Ada", "Lovelace", "ada@example.org"), picks)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert _stored("ada@example.org") == 0
    # The session is usable again, and the next person goes through.
    register(event, Applicant("Grace", "Hopper", "grace@example.org"), picks)
    assert _stored("grace@example.org") == 1

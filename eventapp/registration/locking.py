"""Serialising the writes of one event's registrations in the database.

PostgreSQL: ``SELECT … FOR UPDATE`` on the event row, held until the transaction ends.
SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock; with WAL and a busy timeout
the other workers wait for it instead of failing. Either way, two processes (gunicorn
workers, `eventapp` commands) never count seats at the same time, so no seat is sold twice.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, event, select

from eventapp.extensions import db
from eventapp.models import Event

SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # pragma: no cover - hook
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


def lock_event(event_id: int) -> None:
    """Starts the transaction that holds the event's registration lock until commit.

    Call it before any write of the unit of work: on SQLite the transaction must begin
    with the lock, so pending changes of the session are refused here.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("lock_event() must start the unit of work: commit first")
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and raw.in_transaction:
            raise RuntimeError("lock_event() must start the transaction: commit first")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(select(Event.id).where(Event.id == event_id).with_for_update())

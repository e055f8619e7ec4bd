"""`eventapp backup -o FILE` and `eventapp restore FILE`: a consistent copy of the database
taken while the site serves, and its restoration into an empty database.

SQLite: the online backup API of sqlite3 (a snapshot in one read transaction: with WAL the
writers go on meanwhile). PostgreSQL: ``pg_dump`` (custom format; one snapshot too) and
``pg_restore``. Every refusal is one line on stderr and a non-zero exit (click's errors)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL

from eventapp.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(click.ClickException):
    """A refused backup or restore: one line for the operator."""


def _url() -> URL:
    return db.engine.url


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    """The pg_dump / pg_restore on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4])
    )
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client).")
    return candidates[-1]


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for this database: the password never shows in a process list."""
    env = dict(os.environ)
    settings = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({key: str(value) for key, value in settings.items() if value})
    return env


def _run_pg(command: list[str], url: URL) -> None:
    done = subprocess.run(  # noqa: S603 (a fixed program, arguments are paths)
        command, env=_pg_environment(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {reason}")


def _writable_target(output: Path) -> Path:
    """A temporary file beside ``output`` (renamed over it once complete)."""
    directory = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise BackupError(f"{output} is a directory; give a file name.")
    try:
        handle, name = tempfile.mkstemp(prefix=".backup-", dir=directory)
    except OSError as error:
        raise BackupError(f"cannot write {output}: {error.strerror}") from None
    os.close(handle)
    return Path(name)


def backup_sqlite(source: Path, output: Path) -> None:
    if not source.exists():
        raise BackupError(f"the database {source} does not exist.")
    partial = _writable_target(output)
    try:
        # Read-only: the backup never writes to the database it copies.
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as origin,
            sqlite3.connect(partial) as copy,
        ):
            origin.backup(copy)  # every page in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the copy failed its integrity check; nothing written.")
        origin.close()
        copy.close()
        os.replace(partial, output)
    except sqlite3.Error as error:
        raise BackupError(f"backup failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)


def backup_postgresql(url: URL, output: Path) -> None:
    partial = _writable_target(output)
    try:
        _run_pg([_pg_tool("pg_dump"), "--format=custom", f"--file={partial}"], url)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def rows_held() -> dict[str, int]:
    """The application's tables that hold rows, with their counts (absent tables: none)."""
    present = set(inspect(db.engine).get_table_names())
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name in present:
            number = db.session.scalar(select(func.count()).select_from(table))
            if number:
                counts[table.name] = number
    db.session.rollback()
    return counts


def _refuse_unless_empty() -> None:
    held = rows_held()
    if held:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(held.items()))
        raise BackupError(f"the database is not empty: {listed}; restore only into an empty one.")


def _kind_of(backup: Path) -> str:
    try:
        with backup.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{backup}: no such file.") from None
    except OSError as error:
        raise BackupError(f"cannot read {backup}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{backup} is not a backup made by `eventapp backup`.")


def restore_sqlite(backup: Path, target: Path) -> None:
    try:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as origin:
            tables = {row[0] for row in origin.execute("SELECT name FROM sqlite_master")}
            if not {"event", "registration"} <= tables:
                raise BackupError(f"{backup} is an SQLite file but not an eventapp database.")
            db.engine.dispose()  # no pooled connection keeps the old content
            target.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(target, timeout=30) as copy:
                origin.backup(copy)
            copy.close()
        origin.close()
    except sqlite3.Error as error:
        raise BackupError(f"restore failed: {error}") from None


def restore_postgresql(backup: Path, url: URL) -> None:
    db.engine.dispose()
    # --clean drops the empty tables an `eventapp db upgrade` may have made; one transaction:
    # all or nothing.
    _run_pg(
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={url.database}", str(backup)],
        url,
    )  # fmt: skip


@click.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(output: Path) -> None:
    """Write a consistent copy of the database to FILE, while the site serves."""
    url = _url()
    if url.get_backend_name() == "sqlite":
        backup_sqlite(_sqlite_path(url), output)
        click.echo(f"SQLite database copied to {output} (online backup, one snapshot).")
    elif url.get_backend_name() == "postgresql":
        backup_postgresql(url, output)
        click.echo(f"PostgreSQL database {url.database!r} dumped by pg_dump to {output}.")
    else:
        raise BackupError(f"no backup for a {url.get_backend_name()} database.")


@click.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@with_appcontext
def restore_command(backup: Path) -> None:
    """Restore FILE (made by `eventapp backup`) into an empty database."""
    url = _url()
    backend = url.get_backend_name()
    kind = _kind_of(backup)
    if kind != backend:
        raise BackupError(f"{backup} is a {kind} backup; this database is {backend}.")
    _refuse_unless_empty()
    if backend == "sqlite":
        restore_sqlite(backup, _sqlite_path(url))
    else:
        restore_postgresql(backup, url)
    current_app.logger.info("restored %s", backup)
    click.echo(
        f"Restored {backup} into the {backend} database; run `eventapp db upgrade` if this "
        "version of eventapp is newer than the backup."
    )

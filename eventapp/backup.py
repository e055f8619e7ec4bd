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
from flask_babel import gettext as _
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
        raise BackupError(
            _("une base de données SQLite en mémoire ne peut être ni sauvegardée ni restaurée.")
        )
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
        raise BackupError(
            _(
                "%(program)s introuvable : installez le client PostgreSQL (postgresql-client).",
                program=name,
            )
        )
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
        said = done.stderr.strip().splitlines()
        reason = said[-1] if said else _("code de sortie %(status)s", status=done.returncode)
        raise BackupError(
            _("échec de %(program)s : %(reason)s", program=Path(command[0]).name, reason=reason)
        )


def _writable_target(output: Path) -> Path:
    """A temporary file beside ``output`` (renamed over it once complete)."""
    directory = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise BackupError(_("%(file)s est un dossier ; donnez un nom de fichier.", file=output))
    try:
        handle, name = tempfile.mkstemp(prefix=".backup-", dir=directory)
    except OSError as error:
        raise BackupError(
            _("impossible d'écrire %(file)s : %(reason)s", file=output, reason=error.strerror)
        ) from None
    os.close(handle)
    return Path(name)


def backup_sqlite(source: Path, output: Path) -> None:
    if not source.exists():
        raise BackupError(_("la base de données %(file)s n'existe pas.", file=source))
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
                raise BackupError(
                    _("la copie a échoué au contrôle d'intégrité ; rien n'a été écrit.")
                )
        origin.close()
        copy.close()
        os.replace(partial, output)
    except sqlite3.Error as error:
        raise BackupError(_("échec de la sauvegarde : %(reason)s", reason=error)) from None
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
        raise BackupError(
            _(
                "la base de données n'est pas vide : %(tables)s ; restaurez uniquement dans "
                "une base vide.",
                tables=listed,
            )
        )


def _kind_of(backup: Path) -> str:
    try:
        with backup.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(_("%(file)s : fichier introuvable.", file=backup)) from None
    except OSError as error:
        raise BackupError(
            _("impossible de lire %(file)s : %(reason)s", file=backup, reason=error.strerror)
        ) from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        _("%(file)s n'est pas une sauvegarde faite par « eventapp backup ».", file=backup)
    )


def restore_sqlite(backup: Path, target: Path) -> None:
    try:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as origin:
            tables = {row[0] for row in origin.execute("SELECT name FROM sqlite_master")}
            if not {"event", "registration"} <= tables:
                raise BackupError(
                    _(
                        "%(file)s est un fichier SQLite mais pas une base de données eventapp.",
                        file=backup,
                    )
                )
            db.engine.dispose()  # no pooled connection keeps the old content
            target.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(target, timeout=30) as copy:
                origin.backup(copy)
            copy.close()
        origin.close()
    except sqlite3.Error as error:
        raise BackupError(_("échec de la restauration : %(reason)s", reason=error)) from None


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
        click.echo(
            _(
                "Base de données SQLite copiée dans %(file)s (sauvegarde à chaud, un seul "
                "instantané).",
                file=output,
            )
        )
    elif url.get_backend_name() == "postgresql":
        backup_postgresql(url, output)
        click.echo(
            _(
                "Base de données PostgreSQL « %(database)s » exportée par pg_dump dans %(file)s.",
                database=url.database,
                file=output,
            )
        )
    else:
        raise BackupError(
            _(
                "pas de sauvegarde pour une base de données %(backend)s.",
                backend=url.get_backend_name(),
            )
        )


@click.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@with_appcontext
def restore_command(backup: Path) -> None:
    """Restore FILE (made by `eventapp backup`) into an empty database."""
    url = _url()
    backend = url.get_backend_name()
    kind = _kind_of(backup)
    if kind != backend:
        raise BackupError(
            _(
                "%(file)s est une sauvegarde %(kind)s ; cette base de données est %(backend)s.",
                file=backup,
                kind=kind,
                backend=backend,
            )
        )
    _refuse_unless_empty()
    if backend == "sqlite":
        restore_sqlite(backup, _sqlite_path(url))
    else:
        restore_postgresql(backup, url)
    current_app.logger.info("restored %s", backup)
    click.echo(
        _(
            "Sauvegarde %(file)s restaurée dans la base de données %(backend)s ; lancez "
            "« eventapp db upgrade » si cette version d'eventapp est plus récente que la "
            "sauvegarde.",
            file=backup,
            backend=backend,
        )
    )

"""`eventapp backup` / `eventapp restore` refuse bad input with one line on stderr, a
non-zero exit and no traceback, and change nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EVENTAPP = str(Path(sys.executable).parent / "eventapp")


def _eventapp(database: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "EVENTAPP_SECRET_KEY": "x",
    }
    return subprocess.run(
        [EVENTAPP, *args], env=env, cwd=database.parent, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def _refused(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [message], done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A database with the demo day, and a backup of it."""
    folder = tmp_path_factory.mktemp("backup-cli")
    database, backup = folder / "site.sqlite3", folder / "site.backup"
    for command in (("db", "upgrade"), ("demo",), ("backup", "-o", str(backup))):
        done = _eventapp(database, *command)
        assert done.returncode == 0, done.stderr
    return {"database": database, "backup": backup, "folder": folder}


def test_a_backup_into_an_unwritable_place_is_refused(site) -> None:
    _refused(
        _eventapp(site["database"], "backup", "-o", "/nonexistent/dir/copy.backup"),
        "Error: cannot write /nonexistent/dir/copy.backup: No such file or directory",
    )
    _refused(
        _eventapp(site["database"], "backup", "-o", str(site["folder"])),
        f"Error: {site['folder']} is a directory; give a file name.",
    )
    assert not list(site["folder"].glob(".backup-*")), "no partial file left behind"


def test_restoring_a_missing_or_foreign_file_is_refused(site, tmp_path) -> None:
    target = tmp_path / "new.sqlite3"
    _refused(
        _eventapp(target, "restore", str(tmp_path / "nope.backup")),
        f"Error: {tmp_path / 'nope.backup'}: no such file.",
    )
    text = tmp_path / "notes.txt"
    text.write_text("pas une sauvegarde\n")
    _refused(
        _eventapp(target, "restore", str(text)),
        f"Error: {text} is not a backup made by `eventapp backup`.",
    )
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    _refused(
        _eventapp(target, "restore", str(other)),
        f"Error: {other} is an SQLite file but not an eventapp database.",
    )


def test_restoring_into_a_database_that_holds_data_is_refused(site) -> None:
    before = site["database"].read_bytes()
    done = _eventapp(site["database"], "restore", str(site["backup"]))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: the database is not empty: event (1),")
    assert line.endswith("restore only into an empty one.")
    assert site["database"].read_bytes() == before


def test_a_restored_backup_serves_the_same_event(site, tmp_path) -> None:
    target = tmp_path / "restored.sqlite3"
    assert _eventapp(target, "db", "upgrade").returncode == 0  # empty tables are fine
    done = _eventapp(target, "restore", str(site["backup"]))
    assert done.returncode == 0, done.stderr
    calendar = tmp_path / "programme.ics"
    done = _eventapp(target, "calendar", "journee-reseau-2015", "-o", str(calendar))
    assert done.returncode == 0, done.stderr
    assert "Lara De Jacquier" in calendar.read_text()

"""`eventapp backup` / `eventapp restore` refuse bad input with one line on stderr, a
non-zero exit and no traceback, and change nothing; every word of it, and of the success
lines, in the interface's language (French first here, Dutch when it comes first)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EVENTAPP = str(Path(sys.executable).parent / "eventapp")


def _eventapp(database: Path, *args: str, languages: str = "") -> subprocess.CompletedProcess:
    env = os.environ | {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "EVENTAPP_SECRET_KEY": "x",
    }
    env.pop("EVENTAPP_LANGUAGES", None)
    if languages:
        env["EVENTAPP_LANGUAGES"] = languages
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
    assert done.stdout == (
        f"Base de données SQLite copiée dans {backup} (sauvegarde à chaud, un seul instantané).\n"
    )
    return {"database": database, "backup": backup, "folder": folder}


def test_a_backup_into_an_unwritable_place_is_refused(site) -> None:
    _refused(
        _eventapp(site["database"], "backup", "-o", "/nonexistent/dir/copy.backup"),
        "Erreur : impossible d'écrire /nonexistent/dir/copy.backup : No such file or directory",
    )
    _refused(
        _eventapp(site["database"], "backup", "-o", str(site["folder"])),
        f"Erreur : {site['folder']} est un dossier ; donnez un nom de fichier.",
    )
    assert not list(site["folder"].glob(".backup-*")), "no partial file left behind"


def test_restoring_a_missing_or_foreign_file_is_refused(site, tmp_path) -> None:
    target = tmp_path / "new.sqlite3"
    _refused(
        _eventapp(target, "restore", str(tmp_path / "nope.backup")),
        f"Erreur : {tmp_path / 'nope.backup'} : fichier introuvable.",
    )
    text = tmp_path / "notes.txt"
    text.write_text("pas une sauvegarde\n")
    _refused(
        _eventapp(target, "restore", str(text)),
        f"Erreur : {text} n'est pas une sauvegarde faite par « eventapp backup ».",
    )
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    _refused(
        _eventapp(target, "restore", str(other)),
        f"Erreur : {other} est un fichier SQLite mais pas une base de données eventapp.",
    )


def test_restoring_into_a_database_that_holds_data_is_refused(site) -> None:
    before = site["database"].read_bytes()
    done = _eventapp(site["database"], "restore", str(site["backup"]))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Erreur : la base de données n'est pas vide : event (2),")
    assert line.endswith(" ; restaurez uniquement dans une base vide.")
    assert site["database"].read_bytes() == before


def test_a_restored_backup_serves_the_same_event(site, tmp_path) -> None:
    target = tmp_path / "restored.sqlite3"
    assert _eventapp(target, "db", "upgrade").returncode == 0  # empty tables are fine
    done = _eventapp(target, "restore", str(site["backup"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"Sauvegarde {site['backup']} restaurée dans la base de données sqlite ; lancez "
        "« eventapp db upgrade » si cette version d'eventapp est plus récente que la "
        "sauvegarde.\n"
    )
    calendar = tmp_path / "programme.ics"
    done = _eventapp(target, "calendar", "journee-reseau-2015", "-o", str(calendar))
    assert done.returncode == 0, done.stderr
    assert "Lara De Jacquier" in calendar.read_text()


def test_a_refusal_in_dutch_is_dutch_from_its_first_word(site, tmp_path) -> None:
    text = tmp_path / "notities.txt"
    text.write_text("geen back-up\n")
    _refused(
        _eventapp(tmp_path / "new.sqlite3", "restore", str(text), languages='["nl", "fr", "en"]'),
        f"Fout: {text} is geen back-up gemaakt met „eventapp backup”.",
    )
    before = site["database"].read_bytes()
    done = _eventapp(
        site["database"], "restore", str(site["backup"]), languages='["nl", "fr", "en"]'
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Fout: de database is niet leeg: event (2), ")
    assert line.endswith("; herstel alleen in een lege database.")
    assert site["database"].read_bytes() == before

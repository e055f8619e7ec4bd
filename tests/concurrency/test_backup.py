"""`eventapp backup` taken while registrations stream into a site served by gunicorn, and
`eventapp restore` of it into an empty database: every registration answered before the
backup began is there, whole (SQLite, and PostgreSQL when the suite runs on it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_event, workshops
from served import gunicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stream import RegistrationStream, check_whole

from eventapp import create_app
from eventapp.extensions import db

PEOPLE = 90
SEATS = 20
ON_POSTGRES = os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql")
BACKENDS = ["sqlite"] + (["postgresql"] if ON_POSTGRES else [])
EVENTAPP = str(Path(sys.executable).parent / "eventapp")


def eventapp(uri: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"EVENTAPP_SQLALCHEMY_DATABASE_URI": uri, "EVENTAPP_SECRET_KEY": "x"}
    return subprocess.run(
        [EVENTAPP, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URI of a database with nothing in it, of the suite's kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    source = make_url(os.environ["EVENTAPP_TEST_DATABASE_URI"])
    name = f"restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(source, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("empty_database", BACKENDS, indirect=True)
def test_a_backup_taken_under_load_restores_every_answered_registration(
    request, empty_database: str, tmp_path: Path, capsys
) -> None:
    if empty_database.startswith("postgresql"):
        app = request.getfixturevalue("app")  # its tables, emptied after the test
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{tmp_path / 'served.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, str(tmp_path / "i"))
        with app.app_context():
            db.create_all()
    with app.app_context():
        event = make_event(slug="sauvegarde", rounds=1, themes=2, workshop_capacity=SEATS)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "backup-test-secret",
        "EVENTAPP_RATELIMIT_ENABLED": "false",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
    }
    copy = tmp_path / "copie.backup"
    with gunicorn(env, tmp_path, 2) as port:
        stream = RegistrationStream(port, slug, item_id, PEOPLE).start()
        stream.wait_for(PEOPLE // 3)
        started = time.monotonic()
        done = eventapp(uri, "backup", "-o", str(copy), cwd=tmp_path)
        finished = time.monotonic()
        stream.join()
    assert done.returncode == 0, done.stderr
    if uri.startswith("postgresql"):
        assert "exportée par pg_dump dans" in done.stdout
    before = stream.answered(before=started)
    during = len(stream.answered(before=finished)) - len(before)
    assert len(before) >= PEOPLE // 3
    assert during > 0, "registrations were answered while the backup ran"
    assert len(stream.answered()) == PEOPLE, "every registration of the stream was answered"

    restored = eventapp(empty_database, "restore", str(copy), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Sauvegarde {copy} restaurée dans la base de données ")

    check = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x"}, str(tmp_path / "r")
    )
    with check.app_context():
        counts = check_whole(slug, before, SEATS)
        db.engine.dispose()
    assert counts["rows"] >= len(before)
    with capsys.disabled():
        print(
            f"\n[backup {make_url(empty_database).get_backend_name()}] {len(before)} answered "
            f"before the backup, {during} while it ran ({finished - started:.2f} s); "
            f"restored {counts}"
        )

    # A second restore into what is now a full database is refused and changes nothing.
    again = eventapp(empty_database, "restore", str(copy), cwd=tmp_path)
    assert again.returncode != 0
    assert again.stderr.startswith("Erreur : la base de données n'est pas vide : ")
    assert len(again.stderr.strip().splitlines()) == 1

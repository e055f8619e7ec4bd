"""Shared fixtures: an app on a throwaway database (SQLite, or PostgreSQL when
EVENTAPP_TEST_DATABASE_URI is set), emptied after every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from eventapp import create_app
from eventapp.extensions import db

# CI replays the same examples each run (.ci/run sets HYPOTHESIS_PROFILE=ci); a desk run
# explores new ones, and keeps any failure it finds in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"


def database_uri(tmp_path: Path) -> str:
    return os.environ.get("EVENTAPP_TEST_DATABASE_URI") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


def on_postgres() -> bool:
    return os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("app")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri(tmp),
            "SECRET_KEY": "test-secret",
            "EXPORTS_DIR": str(tmp / "exports"),
            "OUTBOX_DIR": str(tmp / "outbox"),
        },
        instance_path=str(tmp / "instance"),
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask):
    """The demo event, loaded; returns its slug."""
    from eventapp.demo import load_demo

    with app.app_context():
        event, _ = load_demo()
        slug = event.slug
        db.session.remove()
    return slug

"""The Alembic migrations build the models' schema from an empty database."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from eventapp import PROJECT_ROOT, create_app
from eventapp.extensions import db


def _fresh_uri(tmp_path: Path) -> str:
    uri = os.environ.get("EVENTAPP_TEST_DATABASE_URI")
    if not uri:
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    # A database of its own on the same PostgreSQL server, so the suite's tables stay apart.
    admin = create_engine(uri, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS eventapp_migrations"))
        connection.execute(text("CREATE DATABASE eventapp_migrations"))
    admin.dispose()
    return uri.rsplit("/", 1)[0] + "/eventapp_migrations"


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    uri = _fresh_uri(tmp_path)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, instance_path=str(tmp_path)
    )
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        assert "programme_item" in inspect(db.engine).get_table_names()
        downgrade(directory=str(PROJECT_ROOT / "migrations"), revision="base")
        assert "programme_item" not in inspect(db.engine).get_table_names()
        db.engine.dispose()

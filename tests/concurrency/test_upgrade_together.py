"""Hosts deployed together each run `eventapp db upgrade` (`make serve` does) on the one
database: one migrates, the others wait and then find it at its head. Without a lock two of
them created the same tables at once and one stopped with an error (its host not started),
or, on SQLite, both ran the same migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from eventapp import PROJECT_ROOT

HOSTS = 3
ON_POSTGRES = os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql")


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _empty_database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    uri = os.environ["EVENTAPP_TEST_DATABASE_URI"]
    admin = create_engine(uri, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS eventapp_upgrade_together"))
        connection.execute(text("CREATE DATABASE eventapp_upgrade_together"))
    admin.dispose()
    return uri.rsplit("/", 1)[0] + "/eventapp_upgrade_together"


@pytest.mark.parametrize("backend", ["sqlite"] + (["postgresql"] if ON_POSTGRES else []))
def test_hosts_upgrading_the_database_at_once_all_start(backend: str, tmp_path: Path) -> None:
    uri = _empty_database(backend, tmp_path)
    env = os.environ | {"EVENTAPP_SQLALCHEMY_DATABASE_URI": uri, "EVENTAPP_SECRET_KEY": "x"}
    command = [str(Path(sys.executable).parent / "eventapp"), "db", "upgrade"]
    upgrades = [
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _host in range(HOSTS)
    ]
    outputs = [process.communicate(timeout=240)[0].decode() for process in upgrades]
    codes = [process.returncode for process in upgrades]
    assert codes == [0] * HOSTS, "\n".join(outputs)
    ran = [output.count("Running upgrade") for output in outputs]
    assert sorted(ran)[:-1] == [0] * (HOSTS - 1), "one host migrated, the others waited"
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            versions = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
        assert versions == [_head()]
        assert "programme_item" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        if backend == "postgresql":
            admin = create_engine(os.environ["EVENTAPP_TEST_DATABASE_URI"])
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("DROP DATABASE IF EXISTS eventapp_upgrade_together"))
            admin.dispose()

"""Configuration from EVENTAPP_* variables, the generated secret key, and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eventapp import create_app
from eventapp.config import ConfigError


def test_defaults_sqlite_in_instance_and_secret_key_kept(tmp_path: Path, monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("EVENTAPP_"):
            monkeypatch.delenv(name)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'eventapp.sqlite3'}"
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    key = app.config["SECRET_KEY"]
    assert len(key) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app(instance_path=str(tmp_path)).config["SECRET_KEY"] == key


def test_prefixed_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EVENTAPP_SQLALCHEMY_DATABASE_URI", "postgresql://u@127.0.0.1:1/db")
    monkeypatch.setenv("EVENTAPP_BASE_URL", "https://events.example.org/")
    monkeypatch.setenv("EVENTAPP_MAIL_PORT", "2525")
    monkeypatch.setenv("EVENTAPP_SECRET_KEY", "from-env")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:1/db"
    assert app.config["BASE_URL"] == "https://events.example.org"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["SECRET_KEY"] == "from-env"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("EVENTAPP_SQLALCHEMY_DATABASE_URI", "mysql://x/y", "unsupported database"),
        ("EVENTAPP_BASE_URL", "events.example.org", "absolute http(s) URL"),
        ("EVENTAPP_MAIL_PORT", '"twenty-five"', "port number"),
        ("EVENTAPP_MAIL_DELIVERY", "later", "'request' or 'worker'"),
    ],
)
def test_invalid_configuration_is_one_clear_line(tmp_path, monkeypatch, name, value, words) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        create_app(instance_path=str(tmp_path))
    env = {**os.environ, name: value, "EVENTAPP_SECRET_KEY": "x"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "eventapp"), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0]
    assert "Traceback" not in done.stderr

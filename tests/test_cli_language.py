"""Command-line errors speak the interface's language from their first word: "Erreur :",
"Fout:" or "Error:", like the message after it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MESSAGES = {
    "fr": "Erreur : aucun événement n'a l'adresse (slug) « nope »",
    "nl": "Fout: geen enkel evenement heeft het adres (slug) „nope”",
    "en": "Error: no event has the address (slug) “nope”",
}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_the_error_prefix_follows_the_interface_language(app, tmp_path, language) -> None:
    languages = app.config["LANGUAGES"]
    app.config["LANGUAGES"] = (language, *[code for code in languages if code != language])
    try:
        result = app.test_cli_runner().invoke(args=["calendar", "nope", "-o", str(tmp_path / "x")])
    finally:
        app.config["LANGUAGES"] = languages
    assert result.exit_code == 1
    assert result.stderr == MESSAGES[language] + "\n"


def test_the_console_script_too(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("eventapp")
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EVENTAPP_SECRET_KEY": "x",
        "EVENTAPP_LANGUAGES": '["en", "fr", "nl"]',
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run([script, "db", "upgrade"], env=env, capture_output=True, check=True)
    done = subprocess.run(
        [script, "registrations", "promote", "nope"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == MESSAGES["en"] + "\n"
    # A usage error keeps click's usage lines; its prefix follows the language as well.
    usage = subprocess.run([script, "import"], env=env, capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert usage.stderr.splitlines()[-1] == "Error: Missing argument 'FILE'."
    french = env | {"EVENTAPP_LANGUAGES": '["fr", "nl", "en"]'}
    usage = subprocess.run(
        [script, "import"], env=french, capture_output=True, text=True, check=False
    )
    assert usage.stderr.splitlines()[-1].startswith("Erreur : ")


def test_a_database_not_upgraded_is_said_in_the_interface_language(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("eventapp")
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EVENTAPP_SECRET_KEY": "x",
        "EVENTAPP_LANGUAGES": '["nl", "fr", "en"]',
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [script, "registrations", "promote", "nope"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "Fout: database onbereikbaar of niet bijgewerkt (eventapp db upgrade): "
        "no such table: event\n"
    )

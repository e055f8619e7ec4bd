"""`eventapp import FILE --publish`: a schedule from pretalx becomes a public event in one
command, or stays a draft with its conflicts listed, one a line, in the interface's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_interop_schedule import PRETALX_LIKE

from eventapp.extensions import db
from eventapp.programme import event_by_slug

SLUG = "forum-social-2027"
# The same file without its overlap: the second item starts when the first ends.
CLEAN = PRETALX_LIKE.replace(
    "<date>2027-03-27T10:00:00+01:00</date>\n        <start>10:00</start>",
    "<date>2027-03-27T10:30:00+01:00</date>\n        <start>10:30</start>",
)


@pytest.fixture
def pretalx(tmp_path: Path) -> Path:
    return tmp_path / "pretalx.xml"


@contextmanager
def interface_language(app, language: str) -> Iterator[None]:
    """The CLI speaks the first configured language."""
    languages = app.config["LANGUAGES"]
    app.config["LANGUAGES"] = (language, *[code for code in languages if code != language])
    try:
        with app.app_context():
            yield
            db.session.remove()
    finally:
        app.config["LANGUAGES"] = languages


def test_publish_makes_a_public_event_in_one_command(app, client, pretalx) -> None:
    assert CLEAN != PRETALX_LIKE
    pretalx.write_text(CLEAN)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(pretalx), "--publish"])
        db.session.remove()
    assert result.exit_code == 0, result.output
    assert f"Événement « {SLUG} » créé : 3 éléments créés" in result.output
    assert f"Événement « {SLUG} » publié." in result.output
    page = client.get(f"/events/{SLUG}/")
    assert page.status_code == 200
    assert "Atelier qui chevauche" in page.text


def test_conflicts_are_listed_and_the_draft_is_kept(app, client, pretalx) -> None:
    pretalx.write_text(PRETALX_LIKE)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(pretalx), "--publish"])
        assert event_by_slug(SLUG) is not None and not event_by_slug(SLUG).is_published
        db.session.remove()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    summary = f"Événement « {SLUG} » créé : 3 éléments créés, 0 mis à jour, 0 inchangés, 1 refusé."
    assert summary in lines
    conflicts = [line for line in lines if line.startswith("  Conflit : ")]
    assert conflicts == [
        "  Conflit : « Ouverture ; accueil, café » et « Atelier qui chevauche » ont lieu en même "
        "temps dans la salle Aula Érasme.",
        "  Conflit : Zoë Van den Brande-Ćosić intervient en même temps dans « Ouverture ; "
        "accueil, café » et « Atelier qui chevauche ».",
    ]
    assert lines[-1] == (
        f"Erreur : « {SLUG} » reste un brouillon : 2 conflits à corriger avant de publier"
    )
    assert "Traceback" not in result.output
    assert client.get(f"/events/{SLUG}/").status_code == 404

    # Fixed in pretalx and imported again: the same event is updated and published.
    pretalx.write_text(CLEAN)
    with app.app_context():
        again = app.test_cli_runner().invoke(args=["import", str(pretalx), "--publish"])
        db.session.remove()
    assert again.exit_code == 0, again.output
    assert f"Événement « {SLUG} » mis à jour : 0 éléments créés, 1 mis à jour" in again.output
    assert client.get(f"/events/{SLUG}/").status_code == 200


def test_conflicts_follow_the_interface_language(app, pretalx) -> None:
    pretalx.write_text(PRETALX_LIKE)
    with interface_language(app, "en"):
        result = app.test_cli_runner().invoke(args=["import", str(pretalx), "--publish"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        "  Conflict: Zoë Van den Brande-Ćosić is speaking in “Ouverture ; accueil, café” and "
        "“Atelier qui chevauche” at the same time."
    ) in lines
    assert lines[-1] == (f"Error: “{SLUG}” is still a draft: 2 conflicts to fix before publishing")
    assert not any("Conflit" in line or "Erreur" in line for line in lines)


def test_without_publish_it_stays_a_draft(app, ctx, pretalx) -> None:
    pretalx.write_text(CLEAN)
    result = app.test_cli_runner().invoke(args=["import", str(pretalx)])
    assert result.exit_code == 0, result.output
    assert "publié" not in result.output
    assert not event_by_slug(SLUG).is_published

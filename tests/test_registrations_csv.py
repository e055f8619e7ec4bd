"""Registrations in and out as CSV: the import's dry run line by line, the writers."""

from __future__ import annotations

import csv
import io

import pytest
from factories import make_event, workshops
from helpers import csrf_token, visible_text
from regutil import outbox, registration_count
from test_admin_support import PASSWORD, login

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db
from eventapp.interop.spreadsheets import rows_to_csv, rows_to_xlsx
from eventapp.models import Event, Registration, User


@pytest.fixture
def rounds(app) -> list[list[int]]:
    with app.app_context():
        event = make_event(workshop_capacity=1)
        alice = create_organiser("alice@example.org", PASSWORD)
        event.managers = [db.session.get(User, alice.id)]
        db.session.commit()
        found = workshops(event)
        db.session.remove()
    return found


def _csv(rounds) -> bytes:
    a, b = rounds
    lines = [
        "first_name;last_name;email;organisation;workshops",
        f"Ana;López;ana@example.org;CPAS;{a[0]} {b[1]}",
        f"Bert;Peeters;bert@example.org;;{a[0]} {b[2]}",
        f"Chloé;Martin;pas-une-adresse;;{a[1]} {b[1]}",
        f"Dirk;Janssens;dirk@example.org;;{a[1]} {b[1] + 1000}",
        f"Eva;<b>Smit</b>;eva@example.org;;{a[2]} {b[0]}",
        f"Ana;López;ANA@example.org;;{a[1]} {b[0]}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_dry_run_reports_each_line_and_stores_nothing_then_the_import_applies_it(
    app, rounds, tmp_path
) -> None:
    path = tmp_path / "inscrits.csv"
    path.write_bytes(_csv(rounds))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == "ligne 2 : créée ana@example.org — confirmée"
    assert lines[1] == (
        "ligne 3 : créée bert@example.org — en liste d'attente "
        "(atelier complet : « Atelier 1, tour 1 »)"
    )
    assert lines[2].startswith(
        "ligne 4 : refusée pas-une-adresse — Adresse e-mail : "
        "Cette adresse e-mail n'est pas valide. ;"
    )
    assert "@-sign" not in dry.output  # the validator's own English reason
    assert lines[3].startswith("ligne 5 : refusée dirk@example.org — Ateliers : « ")
    assert lines[3].endswith(" » n'est pas un atelier de cet événement.")
    assert lines[4] == (
        "ligne 6 : refusée eva@example.org — Nom : "
        "Les caractères < et > et les retours à la ligne sont refusés."
    )
    assert lines[5] == (
        "ligne 7 : refusée ANA@example.org — la même adresse figure déjà à la ligne 2"
    )
    assert lines[-1] == (
        "Essai à blanc, rien n'a été enregistré : l'import donnerait 2 créées, "
        "0 mises à jour, 0 inchangées, 4 refusées ; les personnes du fichier seraient "
        "alors 1 confirmée et 1 en liste d'attente."
    )
    assert registration_count(app) == 0
    assert outbox(app) == []

    real = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path)])
    assert real.output.splitlines()[:-1] == lines[:-1]  # the dry run told it all
    assert registration_count(app) == 2
    assert {m.kind for m in outbox(app)} == {"confirmed", "waitlisted"}

    a, b = rounds
    path.write_bytes(
        f"first_name,last_name,email,workshops\nAna,López,ana@example.org,{a[2]};{b[0]}\n".encode()
    )
    again = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path)])
    assert "ligne 2 : mise à jour ana@example.org — ateliers changés" in again.output
    with app.app_context():
        ana = db.session.scalars(db.select(Registration).filter_by(email="ana@example.org")).one()
        assert sorted(c.item_id for c in ana.choices) == sorted([a[2], b[0]])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"prenom,email\nAna,ana@example.org\n",
            "la ligne d'en-tête n'a pas les colonnes first_name (Prénom), last_name (Nom)",
        ),
        (b"first_name,last_name,email,role\n", "colonne inconnue : role"),
        (
            "first_name,last_name,email\nAnaïs,X,a@example.org\n".encode("latin-1"),
            "ce n'est pas du texte UTF-8 (octet 30)",
        ),
    ],
)
def test_unreadable_files_are_one_line_errors(app, rounds, tmp_path, content, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(
        args=["registrations", "import", "journee-ouverte", str(path)]
    )
    assert result.exit_code != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert registration_count(app) == 0


def test_unknown_slug_is_a_one_line_error(app, rounds, tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"first_name,last_name,email\n")
    result = app.test_cli_runner().invoke(args=["registrations", "import", "nope", str(path)])
    assert result.exit_code != 0
    assert result.stderr.strip() == "Erreur : aucun événement n'a l'adresse (slug) « nope »"


def test_the_upload_page_shows_the_dry_run_report(app, client, rounds) -> None:
    login(client, "alice@example.org")
    with app.app_context():
        event_id = db.session.scalars(db.select(Event.id)).one()
    url = f"/admin/events/{event_id}/registrations/import"
    page = client.get(url)
    answer = client.post(
        url,
        data={
            "csrf_token": csrf_token(page.text),
            "dry_run": "y",
            "file": (io.BytesIO(_csv(rounds)), "inscrits.csv"),
        },
        content_type="multipart/form-data",
    )
    text = visible_text(answer.text)
    assert "Essai à blanc" in text
    assert "l'import donnerait 2 créées, 0 mises à jour, 0 inchangées, 4 refusées" in text
    assert "1 confirmée et 1 en liste d'attente" in text
    assert "en liste d'attente (atelier complet : « Atelier 1, tour 1 »)" in text
    assert answer.text.count('data-outcome="refused"') == 4
    assert answer.text.count('data-status="waitlisted"') == 1
    assert registration_count(app) == 0


def test_writers_neutralise_formulas_and_keep_accents() -> None:
    rows = [{"name": "Zoé", "note": "=1+1", "other": "@SUM(A1)", "n": 3, "list": ["a", "b"]}]
    data = rows_to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed == [
        ["name", "note", "other", "n", "list"],
        ["Zoé", "'=1+1", "'@SUM(A1)", "3", "a; b"],
    ]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(rows_to_xlsx(rows))).active
    assert [c.value for c in sheet[2]] == ["Zoé", "'=1+1", "'@SUM(A1)", 3, "a; b"]

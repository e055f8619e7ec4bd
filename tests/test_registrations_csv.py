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
from eventapp.interop.registrations import rows_to_csv, rows_to_xlsx
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
    assert lines[0] == "line 2: created ana@example.org"
    assert lines[1] == "line 3: created bert@example.org"
    assert lines[2].startswith("line 4: refused pas-une-adresse — email:")
    assert lines[3].startswith("line 5: refused dirk@example.org — workshop")
    assert lines[4].startswith("line 6: refused eva@example.org — last_name:")
    assert "earlier line" in lines[5]
    assert (
        lines[-1]
        == "Dry run, nothing stored: would be 2 created, 0 updated, 0 unchanged, 4 refused."
    )
    assert registration_count(app) == 0
    assert outbox(app) == []

    real = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path)])
    assert "line 2: created ana@example.org — confirmed" in real.output
    assert "line 3: created bert@example.org — waitlisted" in real.output
    assert registration_count(app) == 2
    assert {m.kind for m in outbox(app)} == {"confirmed", "waitlisted"}

    a, b = rounds
    path.write_bytes(
        f"first_name,last_name,email,workshops\nAna,López,ana@example.org,{a[2]};{b[0]}\n".encode()
    )
    again = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path)])
    assert "line 2: updated ana@example.org" in again.output
    with app.app_context():
        ana = db.session.scalars(db.select(Registration).filter_by(email="ana@example.org")).one()
        assert sorted(c.item_id for c in ana.choices) == sorted([a[2], b[0]])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nom,email\nAna,ana@example.org\n", "lacks the column(s) first_name, last_name"),
        (b"first_name,last_name,email,role\n", "unknown column(s) role"),
        ("first_name,last_name,email\nAnaïs,X,a@example.org\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_one_line_errors(app, rounds, tmp_path, content, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(
        args=["registrations", "import", "journee-ouverte", str(path)]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert registration_count(app) == 0


def test_unknown_slug_is_a_one_line_error(app, rounds, tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"first_name,last_name,email\n")
    result = app.test_cli_runner().invoke(args=["registrations", "import", "nope", str(path)])
    assert result.exit_code != 0
    assert "no event with the slug 'nope'" in result.output


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
    assert "2 created, 0 updated, 0 unchanged, 4 refused" in text
    assert answer.text.count('data-outcome="refused"') == 4
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

"""The registrations CSV on a preferences event: the export writes each person's ranking
(one column per rank, the theme's title), the import reads it back: new people pending with
their ranking (the allocation seats them), bad rankings refused line by line."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import visible_text
from openpyxl import load_workbook
from regutil import outbox, reset_rate_limits
from sqlalchemy import select
from test_admin_support import login
from test_allocation_run import _pending
from test_registration_import_export import _events, _export, _upload

from eventapp.admin.api_tokens import create_token
from eventapp.extensions import db
from eventapp.models import Event, Registration, User


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield
    reset_rate_limits()


def _ranked(app, client) -> dict[str, tuple[int, list[list[int]]]]:
    events = _events(app)
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="preferences"))
        db.session.commit()
    assert login(client, "alice@example.org").status_code == 303
    return events


def _rankings(app, event_id: int) -> dict[str, tuple[str, list[str]]]:
    with app.app_context():
        rows = db.session.scalars(select(Registration).filter_by(event_id=event_id)).all()
        found = {r.email: (r.status.value, list(r.preferences or [])) for r in rows}
        db.session.remove()
    return found


def _imported_pending(app, client, target: int, data: bytes):
    """Imports ``data`` into ``target``: the two people of the export, pending with the
    rankings they gave (["2", "1", "3"] and ["3", "2", "1"])."""
    answer = _upload(client, target, data)
    assert answer.status_code == 200, visible_text(answer.text)
    assert answer.text.count('data-outcome="created"') == 2
    assert _rankings(app, target) == {
        "personne0@example.org": ("pending", ["2", "1", "3"]),
        "personne1@example.org": ("pending", ["3", "2", "1"]),
    }
    return answer


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_export_writes_the_rankings_and_imports_them_pending(app, client, lang) -> None:
    events = _ranked(app, client)
    source, _ = events["journee-ouverte"]
    target, _ = events["journee-suivante"]
    _pending(app, [["2", "1", "3"], ["3", "2", "1"]])
    client.set_cookie("lang", lang)
    data = _export(client, source)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    rank = "Choix n° %s" if lang == "fr" else "Keuze nr. %s"
    columns = [rows[0].index(rank % n) for n in (1, 2, 3)]
    first = next(row for row in rows if row[2] == "personne0@example.org")
    assert [first[c] for c in columns] == ["Thème numéro 2", "Thème numéro 1", "Thème numéro 3"]

    answer = _imported_pending(app, client, target, data)
    with app.app_context():
        ids = set(db.session.scalars(select(Registration.id).filter_by(event_id=target)))
    assert sorted(m.kind for m in outbox(app) if m.registration_id in ids) == ["pending"] * 2
    if lang == "fr":
        assert "2 en attente de l'attribution" in visible_text(answer.text)

    # The same file into its own event: nobody twice, nothing changed.
    again = _upload(client, source, data)
    assert again.text.count('data-outcome="unchanged"') == 2
    assert len(_rankings(app, source)) == 2


def test_bad_rankings_are_refused_line_by_line_and_stored_nowhere(app, client) -> None:
    events = _ranked(app, client)
    event_id, _ = events["journee-ouverte"]
    with app.app_context():
        db.session.execute(db.update(Event).values(ranks_asked=2))
        db.session.commit()
    data = (
        "first_name,last_name,email,rank_1,rank_2,rank_3\n"
        "Ana,A,ana@example.org,Thème numéro 2,1,\n"  # a title and a key: fine
        "Bert,B,bert@example.org,1,1,\n"  # the same theme twice
        "Chloé,C,chloe@example.org,1,Thème inconnu,\n"
        "Dirk,D,dirk@example.org,1,,\n"  # rank 2 missing
        "Eva,E,eva@example.org,1,2,3\n"  # beyond k = 2
    ).encode()
    dry = _upload(client, event_id, data, dry_run=True)
    assert dry.text.count('data-outcome="refused"') == 4
    assert _rankings(app, event_id) == {}

    answer = _upload(client, event_id, data)
    text = visible_text(answer.text)
    assert answer.text.count('data-outcome="refused"') == 4
    assert "Vous avez déjà classé ce thème à un rang précédent." in text
    assert "Ce thème n'est pas proposé." in text
    assert "Choisissez un thème pour ce rang." in text
    assert "Seuls les 2 premiers rangs sont demandés." in text
    assert _rankings(app, event_id) == {"ana@example.org": ("pending", ["2", "1"])}


def test_a_seated_persons_new_ranking_is_stored_and_their_seats_kept(app, client) -> None:
    events = _ranked(app, client)
    event_id, _ = events["journee-ouverte"]
    _pending(app, [["1", "2", "3"]])
    assert (
        app.test_cli_runner().invoke(args=["allocation", "run", "journee-ouverte"]).exit_code == 0
    )
    with app.app_context():
        seated = db.session.scalars(select(Registration)).one()
        seats = sorted(c.item_id for c in seated.choices)
        db.session.remove()
    data = "first_name,last_name,email,rank_1,rank_2,rank_3\nP,T,personne0@example.org,3,2,1\n"
    answer = _upload(client, event_id, data.encode())
    assert answer.text.count('data-outcome="updated"') == 1
    assert "classement changé" in visible_text(answer.text)
    with app.app_context():
        seated = db.session.scalars(select(Registration)).one()
        assert seated.preferences == ["3", "2", "1"]
        assert seated.status.value == "confirmed"
        assert sorted(c.item_id for c in seated.choices) == seats


def test_the_apis_export_carries_the_rankings_and_the_import_reads_them(app, client) -> None:
    """The organisers' API export (CSV and XLSX) has one ``rank_N`` column per rank, the
    theme's title; that file imported into another event gives the same rankings."""
    events = _ranked(app, client)
    source, _ = events["journee-ouverte"]
    target, _ = events["journee-suivante"]
    _pending(app, [["2", "1", "3"], ["3", "2", "1"]])
    with app.app_context():
        alice = db.session.scalars(select(User).filter_by(email="alice@example.org")).one()
        secret = create_token(alice, "export").secret
    url = "/api/v1/organiser/events/journee-ouverte/registrations/export"
    headers = {"Authorization": f"Bearer {secret}"}

    data = client.get(url, headers=headers).data
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert [rows["personne0@example.org"][f"rank_{n}"] for n in (1, 2, 3)] == [
        "Thème numéro 2",
        "Thème numéro 1",
        "Thème numéro 3",
    ]
    xlsx = client.get(url, query_string={"format": "xlsx"}, headers=headers)
    sheet = [list(row) for row in load_workbook(io.BytesIO(xlsx.data)).active.values]
    ranks = [sheet[0].index(f"rank_{n}") for n in (1, 2, 3)]
    second = next(row for row in sheet if row[sheet[0].index("email")] == "personne1@example.org")
    assert [second[c] for c in ranks] == ["Thème numéro 3", "Thème numéro 2", "Thème numéro 1"]

    _imported_pending(app, client, target, data)
    assert len(_rankings(app, source)) == 2

"""The organisers' round trip: export the registrations, edit them in a spreadsheet, import
them into another event or the same one; the dry run tells who would be confirmed and who
waitlisted, and why; every message in French (through Flask-Babel)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from factories import make_event, workshops
from helpers import csrf_token, visible_text
from regutil import outbox, person, post_registration, registration_count, reset_rate_limits
from sqlalchemy import select
from test_admin_support import PASSWORD, login

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db
from eventapp.models import ProgrammeItem, Registration, User
from eventapp.registration import service


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield
    reset_rate_limits()


def _events(app, *, same_titles: bool = False) -> dict[str, tuple[int, list[list[int]]]]:
    """Two events managed by alice, their workshops named alike; with ``same_titles`` each
    theme's workshop has the same title in both rounds (as in the demo day)."""
    found = {}
    with app.app_context():
        alice = db.session.get(User, create_organiser("alice@example.org", PASSWORD).id)
        for slug in ("journee-ouverte", "journee-suivante"):
            event = make_event(slug=slug, workshop_capacity=2)
            event.managers = [alice]
            if same_titles:
                for item in event.items:
                    if item.theme is not None:
                        item.title = f"Atelier « {item.theme.title} »"
            db.session.commit()
            found[slug] = (event.id, workshops(event))
        db.session.remove()
    return found


def _register(client, slug: str, picks: list[int], email: str, **fields: str) -> None:
    answer = post_registration(client, slug, picks, person(email, **fields))
    assert answer.status_code == 303, answer.text


def _people(app, event_id: int) -> dict[str, tuple[str, str, str, list[str]]]:
    """Each address of the event → (first name, last name, status, workshop titles)."""
    with app.app_context():
        rows = db.session.scalars(select(Registration).filter_by(event_id=event_id)).all()
        found = {}
        for r in rows:
            titles = sorted(
                db.session.get(ProgrammeItem, c.item_id).title
                + f" @{db.session.get(ProgrammeItem, c.item_id).starts_at.hour}"
                for c in r.choices
            )
            found[r.email] = (r.first_name, r.last_name, r.status.value, titles)
        db.session.remove()
        return found


def _upload(client, event_id: int, data: bytes, *, dry_run: bool = False):
    url = f"/admin/events/{event_id}/registrations/import"
    form = {"csrf_token": csrf_token(client.get(url).text), "file": (io.BytesIO(data), "x.csv")}
    if dry_run:
        form["dry_run"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def _export(client, event_id: int) -> bytes:
    answer = client.get(f"/admin/events/{event_id}/registrations.csv")
    assert answer.status_code == 200
    return answer.data


def _three_people(client, app, events) -> None:
    """Ana and Bert registered to the first event, Chloé too but then cancelled."""
    _, ((a1, a2, _a3), (b1, b2, _b3)) = events["journee-ouverte"]
    _register(client, "journee-ouverte", [a1, b2], "ana@example.org", first_name="Ana")
    _register(client, "journee-ouverte", [a2, b1], "bert@example.org", first_name="Bert")
    _register(client, "journee-ouverte", [a1, b2], "chloe@example.org", first_name="Chloé")
    with app.app_context():
        chloe = db.session.scalars(select(Registration).filter_by(email="chloe@example.org")).one()
        service.cancel(chloe)
        db.session.remove()


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_export_imports_into_another_event_in_every_language(app, client, lang) -> None:
    events = _events(app, same_titles=True)
    _three_people(client, app, events)
    assert login(client, "alice@example.org").status_code == 303
    client.set_cookie("lang", lang)
    source, _ = events["journee-ouverte"]
    target, _ = events["journee-suivante"]
    data = _export(client, source)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel's byte order mark, read past
    assert b";" in data.splitlines()[0]

    answer = _upload(client, target, data)
    assert answer.status_code == 200, visible_text(answer.text)
    assert answer.text.count('data-outcome="created"') == 2
    assert answer.text.count('data-status="confirmed"') == 2
    assert answer.text.count('data-outcome="refused"') == 1  # Chloé, cancelled in the file
    before = _people(app, source)
    after = _people(app, target)
    assert set(after) == {"ana@example.org", "bert@example.org"}
    for email in after:  # the same people, in the same workshops (by title and round)
        assert after[email] == before[email]
    if lang == "fr":
        text = visible_text(answer.text)
        assert "la ligne porte le statut « annulée » : elle n'est pas importée" in text
        assert (
            "2 créées, 0 mises à jour, 0 inchangées, 1 refusée ; les personnes du fichier "
            "sont maintenant 2 confirmées et 0 en liste d'attente." in text
        )


def test_the_export_imported_back_into_its_event_duplicates_no_one(app, client) -> None:
    events = _events(app)
    _three_people(client, app, events)
    assert login(client, "alice@example.org").status_code == 303
    event_id, ((a1, a2, a3), (b1, b2, b3)) = events["journee-ouverte"]
    data = _export(client, event_id).decode("utf-8-sig")

    # Edited in a spreadsheet: Ana moves to workshop 3 of the first round (its title), a new
    # line typed with item ids, and the file saved again with commas.
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    header = rows[0]
    ana = next(row for row in rows if row[2] == "ana@example.org")
    ana[header.index("Atelier, créneau 1")] = "Atelier 3, tour 1"
    rows.append(["Durand", "Denis", "denis@example.org", "", "", "", "", str(a2), str(b3), "", ""])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    edited = ("\ufeff" + out.getvalue()).encode()
    mails = len(outbox(app))

    dry = _upload(client, event_id, edited, dry_run=True)
    assert dry.status_code == 200
    text = visible_text(dry.text)
    assert "Essai à blanc" in text
    assert "l'import donnerait 1 créée, 1 mise à jour, 1 inchangée, 1 refusée" in text
    assert registration_count(app) == 3 and len(outbox(app)) == mails

    real = _upload(client, event_id, edited)
    assert real.status_code == 200
    text = visible_text(real.text)
    assert (
        "1 créée, 1 mise à jour, 1 inchangée, 1 refusée ; les personnes du fichier sont "
        "maintenant 3 confirmées et 0 en liste d'attente." in text
    )
    assert "la ligne porte le statut « annulée » : elle n'est pas importée" in text
    people = _people(app, event_id)
    assert len(people) == 4  # no one twice
    assert people["ana@example.org"][3] == ["Atelier 2, tour 2 @13", "Atelier 3, tour 1 @11"]
    assert people["bert@example.org"][3] == ["Atelier 1, tour 2 @13", "Atelier 2, tour 1 @11"]
    assert people["denis@example.org"] == (
        "Denis",
        "Durand",
        "confirmed",
        ["Atelier 2, tour 1 @11", "Atelier 3, tour 2 @13"],
    )


def test_a_comma_separated_export_with_a_byte_order_mark_imports_at_the_command_line(
    app, client, tmp_path: Path
) -> None:
    events = _events(app)
    _three_people(client, app, events)
    assert login(client, "alice@example.org").status_code == 303
    source, _ = events["journee-ouverte"]
    rows = list(csv.reader(io.StringIO(_export(client, source).decode("utf-8-sig")), delimiter=";"))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "inscrits.csv"
    path.write_bytes(("\ufeff" + out.getvalue()).encode())
    result = app.test_cli_runner().invoke(
        args=["registrations", "import", "journee-suivante", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ligne 2 : créée ana@example.org — confirmée",
        "ligne 3 : créée bert@example.org — confirmée",
        "ligne 4 : refusée chloe@example.org — la ligne porte le statut « annulée » : elle "
        "n'est pas importée",
        "2 créées, 0 mises à jour, 0 inchangées, 1 refusée ; les personnes du fichier sont "
        "maintenant 2 confirmées et 0 en liste d'attente.",
    ]


def test_a_title_that_is_no_workshop_of_the_event_refuses_its_line(app, client, tmp_path) -> None:
    _events(app)
    path = tmp_path / "x.csv"
    path.write_text(
        "Nom;Prénom;Adresse e-mail;Atelier, créneau 1;Atelier, créneau 2\n"
        "Lopez;Ana;ana@example.org;Atelier inconnu;Atelier 2, tour 2\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(
        args=["registrations", "import", "journee-ouverte", str(path)]
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "ligne 2 : refusée ana@example.org — Atelier, créneau 1 : « Atelier inconnu » n'est "
        "pas un atelier de cet événement."
    )
    assert registration_count(app) == 0


def test_the_dry_run_tells_who_would_be_waitlisted_and_why_as_the_import_does(
    app, client, tmp_path
) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=2, event_capacity=3)
        first, other = workshops(event)[0][:2]
        db.session.remove()
    _register(client, "journee-ouverte", [other], "known@example.org")
    path = tmp_path / "x.csv"
    lines = [f"P{n},N{n},p{n}@example.org,{first}" for n in range(3)]
    lines += ["P3,N3,p3@example.org," + str(other), f"K,N,known@example.org,{first}"]
    path.write_text("first_name,last_name,email,workshops\n" + "\n".join(lines) + "\n")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    expected = [
        "ligne 2 : créée p0@example.org — confirmée",
        "ligne 3 : créée p1@example.org — confirmée",
        "ligne 4 : créée p2@example.org — en liste d'attente (événement complet ; "
        "atelier complet : « Atelier 1, tour 1 »)",
        "ligne 5 : créée p3@example.org — en liste d'attente (événement complet)",
        "ligne 6 : refusée known@example.org — Atelier, créneau 1 : Cet atelier est complet. "
        "(la personne garde ses ateliers)",
    ]
    assert dry.output.splitlines()[:-1] == expected
    assert dry.output.splitlines()[-1] == (
        "Essai à blanc, rien n'a été enregistré : l'import donnerait 4 créées, 0 mises à "
        "jour, 0 inchangées, 1 refusée ; les personnes du fichier seraient alors "
        "2 confirmées et 2 en liste d'attente."
    )
    assert registration_count(app) == 1
    assert [m.recipient for m in outbox(app)] == ["known@example.org"]

    real = runner.invoke(args=["registrations", "import", "journee-ouverte", str(path)])
    assert real.output.splitlines()[:-1] == expected
    with app.app_context():
        statuses = {r.email: r.status.value for r in db.session.scalars(select(Registration))}
    assert statuses == {
        "known@example.org": "confirmed",
        "p0@example.org": "confirmed",
        "p1@example.org": "confirmed",
        "p2@example.org": "waitlisted",
        "p3@example.org": "waitlisted",
    }


def test_bad_files_are_refused_in_french_on_the_page(app, client) -> None:
    events = _events(app)
    event_id, _ = events["journee-ouverte"]
    assert login(client, "alice@example.org").status_code == 303
    answer = _upload(client, event_id, b"email;organisation\nana@example.org;CPAS\n")
    assert answer.status_code == 400
    text = visible_text(answer.text)
    assert (
        "Fichier refusé, rien n'a été importé : la ligne d'en-tête n'a pas les colonnes "
        "first_name (Prénom), last_name (Nom)" in text
    )
    answer = _upload(client, event_id, b"first_name,last_name,email\nAna,Lopez,ana.example.org\n")
    text = visible_text(answer.text)
    assert "Adresse e-mail : Cette adresse e-mail n'est pas valide." in text
    assert "@-sign" not in text
    assert "refused" not in text and "created" not in text


def test_the_registrations_list_links_to_the_import(app, client) -> None:
    events = _events(app)
    event_id, _ = events["journee-ouverte"]
    assert login(client, "alice@example.org").status_code == 303
    page = client.get(f"/admin/events/{event_id}/registrations")
    assert page.status_code == 200
    url = f"/admin/events/{event_id}/registrations/import"
    assert f'href="{url}"' in page.text
    assert "Importer (CSV)" in visible_text(page.text)
    assert "Importer des inscriptions" in visible_text(client.get(url).text)


def test_a_dutch_export_names_the_workshops_in_dutch_and_reads_back(app, client) -> None:
    events = _events(app, same_titles=True)
    with app.app_context():
        for slug in ("journee-ouverte", "journee-suivante"):
            event_id, _ = events[slug]
            for item in db.session.scalars(select(ProgrammeItem).filter_by(event_id=event_id)):
                item.event.declare_languages(["fr", "nl"])
                if item.theme is not None:
                    item.set_translation("title", "nl", f"Workshop „{item.theme.title}”")
        db.session.commit()
    _three_people(client, app, events)
    login(client, "alice@example.org")
    client.set_cookie("lang", "nl")
    source, _ = events["journee-ouverte"]
    target, _ = events["journee-suivante"]
    answer = client.get(f"/admin/events/{source}/registrations.csv")
    assert answer.headers["Content-Language"] == "nl"
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert any(cell.startswith("Workshop „") for row in rows[1:] for cell in row)
    imported = _upload(client, target, answer.data)
    assert imported.status_code == 200 and imported.text.count('data-outcome="created"') == 2
    assert _people(app, target) == {
        email: value for email, value in _people(app, source).items() if "chloe" not in email
    }

"""The CSV import of registrations at scale: one unit of work under the event's lock, the
same seat rules as the form, all lines stored or none, a fixed number of queries."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from factories import make_event, workshops
from helpers import count_queries, csrf_token, visible_text
from regutil import outbox, person, post_registration, registration_count, reset_rate_limits
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from test_admin_support import PASSWORD, login

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db
from eventapp.models import (
    OutboxMessage,
    OutboxStatus,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
    User,
)
from eventapp.programme import event_by_slug
from eventapp.registration import queries, seating, service


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield
    reset_rate_limits()


def _register(client, item: int, email: str) -> None:
    answer = post_registration(client, "journee-ouverte", [item], person(email))
    assert answer.status_code == 303, answer.text


def _file(tmp_path: Path, people: list[tuple[str, int]], name: str = "inscrits.csv") -> Path:
    lines = ["first_name,last_name,email,workshops"]
    lines += [f"Prénom,Nom{n},{email},{item}" for n, (email, item) in enumerate(people)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(app, path: Path, *options: str):
    return app.test_cli_runner().invoke(
        args=["registrations", "import", "journee-ouverte", str(path), *options]
    )


def _people(app) -> dict[str, tuple[str, int | None]]:
    """Each address → (status, waiting-list position)."""
    with app.app_context():
        rows = db.session.scalars(select(Registration)).all()
        return {r.email: (r.status.value, queries.waitlist_position(r)) for r in rows}


def _confirmed_in(app, item_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(RegistrationChoice.id))
            .join(Registration)
            .where(
                RegistrationChoice.item_id == item_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )


@pytest.mark.parametrize("full", ["workshop", "event"])
def test_an_import_that_fills_up_waitlists_the_later_lines_in_file_order(
    app, client, tmp_path, full
) -> None:
    with app.app_context():
        if full == "workshop":
            event = make_event(rounds=1, themes=2, workshop_capacity=5)
        else:
            event = make_event(rounds=1, themes=2, workshop_capacity=None, event_capacity=5)
        first, other = workshops(event)[0][:2]
        db.session.remove()
    for n in range(3):  # three of the five seats taken through the form
        _register(client, first, f"form{n}@example.org")

    people = [(f"csv{n}@example.org", first) for n in range(6)]
    result = _import(app, _file(tmp_path, people))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ligne 2 : créée csv0@example.org — confirmée"
    assert lines[1] == "ligne 3 : créée csv1@example.org — confirmée"
    why = "atelier complet : « Atelier 1, tour 1 »" if full == "workshop" else "événement complet"
    assert all(line.endswith(f"— en liste d'attente ({why})") for line in lines[2:6])
    assert lines[-1] == (
        "6 créées, 0 mises à jour, 0 inchangées, 0 refusées ; les personnes du fichier sont "
        "maintenant 2 confirmées et 4 en liste d'attente."
    )

    found = _people(app)
    assert [found[f"csv{n}@example.org"] for n in range(6)] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
        ("waitlisted", 4),
    ]
    assert _confirmed_in(app, first) == 5
    kinds = [(m.recipient, m.kind) for m in outbox(app) if m.recipient.startswith("csv")]
    assert kinds == [(f"csv{n}@example.org", "confirmed") for n in range(2)] + [
        (f"csv{n}@example.org", "waitlisted") for n in range(2, 6)
    ]

    # Someone after the import goes to the end of the same line.
    _register(client, first, "after@example.org")
    assert _people(app)["after@example.org"] == ("waitlisted", 5)
    if full == "workshop":  # the other workshop still has seats
        _register(client, other, "b@example.org")
        assert _people(app)["b@example.org"] == ("confirmed", None)


def test_an_update_that_frees_a_seat_promotes_the_first_in_line_of_the_same_file(
    app, client, tmp_path
) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=1)
        first, other = workshops(event)[0][:2]
        db.session.remove()
    _register(client, first, "holder@example.org")
    people = [("queued@example.org", first), ("holder@example.org", other)]
    result = _import(app, _file(tmp_path, people))
    assert result.exit_code == 0, result.output
    # The report tells where each person ends: the seat left by line 3 went to line 2.
    assert "ligne 2 : créée queued@example.org — confirmée" in result.output
    assert "ligne 3 : mise à jour holder@example.org — ateliers changés ; confirmée" in (
        result.output
    )
    found = _people(app)
    assert found["holder@example.org"] == ("confirmed", None)
    assert found["queued@example.org"] == ("confirmed", None)  # the seat it left
    assert _confirmed_in(app, first) == 1
    assert [m.kind for m in outbox(app) if m.recipient == "queued@example.org"] == [
        "waitlisted",
        "promoted",
    ]


def _fail_at(monkeypatch, calls: int) -> None:
    """The database fails while the Nth person of the file is being stored."""
    real = seating.new_token
    count = {"n": 0}

    def failing() -> str:
        count["n"] += 1
        if count["n"] == calls:
            raise OperationalError("INSERT INTO registration …", {}, Exception("disk I/O error"))
        return real()

    monkeypatch.setattr(seating, "new_token", failing)


def test_an_import_that_fails_midway_stores_nothing_and_says_so(
    app, client, tmp_path, monkeypatch
) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=3, workshop_capacity=30)
        first, second, third = workshops(event)[0]
        db.session.remove()
    _register(client, first, "known@example.org")
    before_mails = len(outbox(app))
    people = [(f"csv{n}@example.org", second) for n in range(3)]
    people += [("known@example.org", third)] + [(f"more{n}@example.org", second) for n in range(3)]
    _fail_at(monkeypatch, 5)

    result = _import(app, _file(tmp_path, people))
    assert result.exit_code != 0
    assert result.stdout == ""  # no report of lines that were not stored
    assert len(result.stderr.strip().splitlines()) == 1
    assert "rien n'a été importé" in result.stderr
    assert "disk I/O error" in result.stderr
    assert "Traceback" not in result.output
    assert "INSERT" not in result.output  # neither SQL nor the people's data
    assert registration_count(app) == 1
    assert _people(app) == {"known@example.org": ("confirmed", None)}
    with app.app_context():
        known = db.session.scalars(select(Registration)).one()
        assert [c.item_id for c in known.choices] == [first]  # its update was undone too
    assert len(outbox(app)) == before_mails

    monkeypatch.undo()  # the same file again, once the database is well
    result = _import(app, _file(tmp_path, people))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(
        "6 créées, 1 mise à jour, 0 inchangées, 0 refusées ;"
    )
    assert registration_count(app) == 7


def _organiser_page(app, client) -> tuple[str, int]:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=3)
        event_id, item = event.id, workshops(event)[0][0]
        alice = create_organiser("alice@example.org", PASSWORD)
        event.managers = [db.session.get(User, alice.id)]
        db.session.commit()
        db.session.remove()
    login(client, "alice@example.org")
    return f"/admin/events/{event_id}/registrations/import", item


def _upload(client, url: str, item: int, people: int):
    """The organiser sends a file of ``people`` lines, each picking ``item``."""
    data = "first_name,last_name,email,workshops\n" + "".join(
        f"P,N,p{n}@example.org,{item}\n" for n in range(people)
    )
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client.get(url).text),
            "file": (io.BytesIO(data.encode()), "inscrits.csv"),
        },
        content_type="multipart/form-data",
    )


def test_the_upload_page_imports_the_whole_file_and_reports_each_line(app, client) -> None:
    url, item = _organiser_page(app, client)
    answer = _upload(client, url, item, people=5)
    assert answer.status_code == 200
    text = visible_text(answer.text)
    assert "Import terminé" in text
    assert (
        "5 créées, 0 mises à jour, 0 inchangées, 0 refusées ; les personnes du fichier sont "
        "maintenant 3 confirmées et 2 en liste d'attente." in text
    )
    assert answer.text.count('data-status="waitlisted"') == 2
    assert answer.text.count('data-outcome="created"') == 5
    assert [_people(app)[f"p{n}@example.org"] for n in range(5)] == [
        ("confirmed", None),
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]


def test_the_upload_page_says_nothing_was_imported_when_the_import_fails(
    app, client, monkeypatch
) -> None:
    url, item = _organiser_page(app, client)
    _fail_at(monkeypatch, 3)
    answer = _upload(client, url, item, people=4)
    assert answer.status_code == 500
    text = visible_text(answer.text)
    assert "rien n'a été importé" in text
    assert "Import terminé" not in text
    assert registration_count(app) == 0
    assert outbox(app) == []


def _many(count: int, item: int) -> bytes:
    rows = "".join(f"P{n},N{n},p{n}@example.org,{item}\n" for n in range(count))
    return ("first_name,last_name,email,workshops\n" + rows).encode()


def _queries_of_import(app, data: bytes, expected: str) -> int:
    """The statements of an import, but SQLite's INSERTs (one a row: it cannot tell which id
    each row of a multi-row INSERT got; PostgreSQL takes a table's rows in one)."""
    from eventapp.interop.registrations import import_registrations

    with count_queries(app) as statements, app.app_context():
        event = event_by_slug("journee-ouverte")
        sqlite = db.engine.dialect.name == "sqlite"
        report = import_registrations(event, data, dry_run=False)
        assert report.summary().startswith(expected)
        db.session.remove()
    if sqlite:
        statements = [s for s in statements if not s.lstrip().upper().startswith("INSERT")]
    return len(statements)


def test_the_import_runs_a_fixed_number_of_queries_whatever_the_number_of_lines(app) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=30)
        item = workshops(event)[0][0]
        db.session.remove()
    small = _queries_of_import(
        app, _many(50, item), "50 créées, 0 mises à jour, 0 inchangées, 0 refusées ;"
    )
    with app.app_context():  # the same people again, now updates: another workshop
        item2 = workshops(event_by_slug("journee-ouverte"))[0][1]
        db.session.remove()
    small_updates = _queries_of_import(
        app, _many(50, item2), "0 créées, 30 mises à jour, 0 inchangées, 20 refusées ;"
    )
    with app.app_context():
        db.session.execute(db.delete(RegistrationChoice))
        db.session.execute(db.delete(Registration))
        db.session.commit()
    large = _queries_of_import(
        app, _many(200, item), "200 créées, 0 mises à jour, 0 inchangées, 0 refusées ;"
    )  # 170 of them waitlisted
    large_updates = _queries_of_import(
        app, _many(200, item2), "0 créées, 170 mises à jour, 0 inchangées, 30 refusées ;"
    )
    assert large == small
    assert large_updates == small_updates
    assert small <= 25 and small_updates <= 30


def test_the_import_and_the_form_at_the_same_time_never_sell_a_seat_twice(app, tmp_path) -> None:
    """The import takes the same event lock as register(): whatever the interleaving, the
    workshop ends exactly full and the waiting list has one rank per person."""
    from eventapp.interop.registrations import import_registrations
    from eventapp.registration import Applicant

    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=12)
        item = workshops(event)[0][0]
        db.session.remove()
    data = _many(20, item)
    start = threading.Barrier(5)
    errors: list[BaseException] = []

    def form(number: int) -> None:
        try:
            with app.app_context():
                event = event_by_slug("journee-ouverte")
                picked = [i for i in event.items if i.id == item]
                start.wait()
                for k in range(3):
                    applicant = Applicant("F", "N", f"form{number}-{k}@example.org")
                    service.register(event, applicant, picked)
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=form, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    with app.app_context():
        event = event_by_slug("journee-ouverte")
        start.wait()
        report = import_registrations(event, data, dry_run=False)
        db.session.remove()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert report.count("created") == 20
    assert registration_count(app) == 32
    assert _confirmed_in(app, item) == 12
    with app.app_context():
        ranks = db.session.scalars(
            select(Registration.waitlist_rank).where(
                Registration.status == RegistrationStatus.WAITLISTED
            )
        ).all()
    assert len(ranks) == 20 and len(set(ranks)) == 20
    waitlisted = [line.line - 2 for line in report.lines if line.status == "waitlisted"]
    assert waitlisted == list(range(20 - len(waitlisted), 20))  # the file's later lines
    positions = _people(app)
    assert [positions[f"p{n}@example.org"][1] for n in waitlisted] == sorted(
        positions[f"p{n}@example.org"][1] for n in waitlisted
    )


def test_a_dry_run_over_known_addresses_tells_updated_unchanged_and_cancelled(
    app, tmp_path
) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=30)
        first, other = workshops(event)[0][:2]
        db.session.remove()
    people = [
        ("same@example.org", first),
        ("moves@example.org", first),
        ("gone@example.org", first),
    ]
    assert _import(app, _file(tmp_path, people)).exit_code == 0
    with app.app_context():
        gone = db.session.scalars(select(Registration).filter_by(email="gone@example.org")).one()
        service.cancel(gone)
    mails = len(outbox(app))
    people = [("same@example.org", first), ("moves@example.org", other)]
    people += [("gone@example.org", other), ("new@example.org", other)]
    result = _import(app, _file(tmp_path, people), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ligne 2 : inchangée same@example.org — confirmée",
        "ligne 3 : mise à jour moves@example.org — ateliers changés ; confirmée",
        "ligne 4 : refusée gone@example.org — Cette inscription est annulée : elle ne peut "
        "plus changer.",
        "ligne 5 : créée new@example.org — confirmée",
        "Essai à blanc, rien n'a été enregistré : l'import donnerait 1 créée, 1 mise à jour, "
        "1 inchangée, 1 refusée ; les personnes du fichier seraient alors 3 confirmées et "
        "0 en liste d'attente.",
    ]
    assert registration_count(app) == 3
    assert _people(app)["moves@example.org"] == ("confirmed", None)
    assert len(outbox(app)) == mails

    real = _import(app, _file(tmp_path, people))
    assert real.output.splitlines()[:4] == result.output.splitlines()[:4]
    assert registration_count(app) == 4


def _alternating(count: int, scarce: int, roomy: int) -> bytes:
    """Lines alternating between a workshop that fills up early and one that does not, so
    that confirmed and waitlisted people alternate in the file."""
    rows = "".join(
        f"P{n},N{n},p{n}@example.org,{scarce if n % 2 == 0 else roomy}\n" for n in range(count)
    )
    return ("first_name,last_name,email,workshops\n" + rows).encode()


def _scarce_event(app) -> tuple[int, int]:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=500)
        scarce, roomy = workshops(event)[0][:2]
        db.session.get(ProgrammeItem, scarce).capacity = 3
        db.session.commit()
        db.session.remove()
    return scarce, roomy


def test_the_locked_import_writes_each_table_in_a_few_statements_whatever_the_lines(app) -> None:
    """Every statement counted, INSERTs included: the new people, their choices and their
    mails go in one executemany per table, not one INSERT a line."""
    from eventapp.interop.registrations import import_registrations

    scarce, roomy = _scarce_event(app)

    def statements_of(count: int) -> int:
        with app.app_context():
            db.session.execute(db.delete(OutboxMessage))
            db.session.execute(db.delete(RegistrationChoice))
            db.session.execute(db.delete(Registration))
            db.session.commit()
        with count_queries(app) as statements, app.app_context():
            report = import_registrations(
                event_by_slug("journee-ouverte"), _alternating(count, scarce, roomy), dry_run=False
            )
            assert report.summary().startswith(
                f"{count} créées, 0 mises à jour, 0 inchangées, 0 refusées ;"
            )
            db.session.remove()
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
        assert len(inserts) == 3  # registration, registration_choice, outbox_message
        return len(statements)

    small, large = statements_of(50), statements_of(200)
    assert large == small
    assert large < 20  # 200 people, 200 choices and 200 mails
    found = _people(app)
    assert found["p0@example.org"] == ("confirmed", None)
    assert found["p6@example.org"] == ("waitlisted", 1)  # the 4th of the scarce workshop
    assert found["p7@example.org"] == ("confirmed", None)
    assert found["p8@example.org"] == ("waitlisted", 2)


def test_each_new_person_gets_their_own_workshop_link_and_mail(app, tmp_path) -> None:
    """Rows inserted in bulk: each choice and each mail belongs to the right person; the
    mails are delivered right after the import (MAIL_DELIVERY "request"), written from the
    person's own registration."""
    scarce, roomy = _scarce_event(app)
    people = [(f"p{n}@example.org", scarce if n % 2 == 0 else roomy) for n in range(12)]
    result = _import(app, _file(tmp_path, people))
    assert result.exit_code == 0, result.output
    with app.app_context():
        registrations = db.session.scalars(select(Registration)).all()
        assert len(registrations) == 12
        by_email = {r.email: r for r in registrations}
        for email, item in people:
            assert [c.item_id for c in by_email[email].choices] == [item]
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [row.recipient for row in rows] == [email for email, _item in people]
        for row in rows:
            registration = db.session.get(Registration, row.registration_id)
            assert row.recipient == registration.email
            assert row.kind == registration.status.value
            assert row.language == registration.language == "fr"
            assert row.sender == app.config["MAIL_DEFAULT_SENDER"]
            assert row.status == OutboxStatus.SENT
            assert f"/r/{registration.token}/" in row.body_text
            assert registration.token_lookup == registration.token[:12]
        db.session.remove()
    assert [_people(app)[email][0] for email, _item in people[:8]] == [
        "confirmed", "confirmed", "confirmed", "confirmed",
        "confirmed", "confirmed", "waitlisted", "confirmed",
    ]  # fmt: skip


def test_with_a_mail_worker_the_imported_mails_stay_queued(app, tmp_path, monkeypatch) -> None:
    with app.app_context():
        event = make_event(rounds=1, themes=2, workshop_capacity=30)
        item = workshops(event)[0][0]
        db.session.remove()
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    people = [(f"p{n}@example.org", item) for n in range(3)]
    assert _import(app, _file(tmp_path, people)).exit_code == 0
    rows = outbox(app)
    assert [(row.recipient, row.kind, row.status) for row in rows] == [
        (email, "confirmed", OutboxStatus.QUEUED) for email, _item in people
    ]


def test_an_import_that_fails_after_writing_its_rows_stores_nothing(
    app, tmp_path, monkeypatch
) -> None:
    """The database fails at the last write under the lock (the mails): the new people,
    their choices and the known address's change, written by then, are all undone."""
    from eventapp.registration import mails

    with app.app_context():
        event = make_event(rounds=1, themes=3, workshop_capacity=30)
        first, second, third = workshops(event)[0]
        db.session.remove()
    assert _import(app, _file(tmp_path, [("known@example.org", first)])).exit_code == 0
    before_mails = len(outbox(app))
    written: dict[str, object] = {}
    real = mails.queue_many

    def failing(messages) -> int:
        real(messages)
        written["registrations"] = db.session.scalar(select(func.count(Registration.id)))
        written["choices"] = db.session.scalar(select(func.count(RegistrationChoice.id)))
        written["mails"] = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "csv0@example.org")
        ).all()
        raise OperationalError("INSERT INTO outbox_message …", {}, Exception("disk full"))

    monkeypatch.setattr(mails, "queue_many", failing)
    people = [(f"csv{n}@example.org", second) for n in range(4)] + [("known@example.org", third)]
    result = _import(app, _file(tmp_path, people))
    assert result.exit_code != 0
    assert "rien n'a été importé" in result.stderr and "disk full" in result.stderr
    assert written == {"registrations": 5, "choices": 5, "mails": ["confirmed"]}
    assert _people(app) == {"known@example.org": ("confirmed", None)}
    with app.app_context():
        known = db.session.scalars(select(Registration)).one()
        assert [c.item_id for c in known.choices] == [first]
        assert db.session.scalar(select(func.count(RegistrationChoice.id))) == 1
    assert len(outbox(app)) == before_mails

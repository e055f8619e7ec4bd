"""`eventapp allocation run SLUG --full`: everyone who ranked the themes allocated again;
people already seated move only when that improves the objective, and each person moved
gets one update mail."""

from __future__ import annotations

import random
from pathlib import Path

from regutil import outbox
from test_allocation_run import SLUG, _event, _pending, _people

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, RegistrationStatus, Room

CONFIRMED = RegistrationStatus.CONFIRMED


def _run(app, *extra: str):
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG, *extra])
    assert result.exit_code == 0, result.output
    return result


def test_a_full_rerun_moves_a_seated_person_when_that_does_better(app) -> None:
    # One round, three themes, one seat each.
    (workshops,) = _event(app, rounds=1, workshop_capacity=1)
    t1, t2, t3 = workshops
    _pending(app, [["1", "2", "3"]])  # Personne0 alone: theme 1
    _run(app)
    assert _people(app)["Personne0"].choice_ids == [t1]
    # Newcomers who both want theme 1 or 3 badly; Personne0 would be almost as happy in 2.
    _pending(app, [["1", "3", "2"], ["3", "1", "2"]], start=1)
    before_mails = len(outbox(app))

    dry = _run(app, "--full", "--dry-run")
    assert "1 personne(s) déjà placée(s) changeraient d'ateliers" in dry.output
    assert "Simulation : rien n'a changé." in dry.output
    assert _people(app)["Personne0"].choice_ids == [t1]
    assert _people(app)["Personne1"].status == RegistrationStatus.PENDING
    assert len(outbox(app)) == before_mails

    done = _run(app, "--full")
    assert "1 personne(s) déjà placée(s) changent d'ateliers" in done.output
    people = _people(app)
    # Σ rank²: 4 + 1 + 1 = 6, against 1 + 4 + 9 = 14 had Personne0 stayed in theme 1.
    assert people["Personne0"].choice_ids == [t2]
    assert people["Personne1"].choice_ids == [t1]
    assert people["Personne2"].choice_ids == [t3]
    assert {p.status for p in people.values()} == {CONFIRMED}
    sent = outbox(app)[before_mails:]
    moved = [m for m in sent if m.registration_id == people["Personne0"].id]
    # One update mail (new workshops, REQUEST) and the CANCEL of the workshop dropped.
    assert sorted(m.kind for m in moved) == ["changed", "withdrawn"]
    assert next(m for m in moved if m.kind == "withdrawn").item_ids == str(t1)
    newcomers = [m.kind for m in sent if m.registration_id != people["Personne0"].id]
    assert sorted(newcomers) == ["confirmed", "confirmed"]

    # Already optimal: a second full re-run moves nobody and mails nobody.
    mails = len(outbox(app))
    again = _run(app, "--full")
    assert "0 personne(s) déjà placée(s) changent d'ateliers" in again.output
    assert {n: p.choice_ids for n, p in _people(app).items()} == {
        n: p.choice_ids for n, p in people.items()
    }
    assert len(outbox(app)) == mails


def test_a_full_rerun_without_gain_moves_nobody(app) -> None:
    # Other optimal allocations exist that shuffle the people seated (the solver alone
    # moves 4 of them here); none does better than seating the newcomers on what is left.
    _event(app, rounds=2, themes=4, workshop_capacity=4)
    rng = random.Random(0)
    themes = ["1", "2", "3", "4"]
    _pending(app, [rng.sample(themes, 4) for _ in range(10)])
    _run(app)
    before = {n: p.choice_ids for n, p in _people(app).items()}
    _pending(app, [rng.sample(themes, 4) for _ in range(3)], start=10)
    mails = len(outbox(app))
    done = _run(app, "--full")
    assert "0 personne(s) déjà placée(s) changent d'ateliers" in done.output
    people = _people(app)
    assert {n: people[n].choice_ids for n in before} == before
    newcomers = {people[f"Personne{n}"].id for n in (10, 11, 12)}
    sent = outbox(app)[mails:]
    assert sorted(m.kind for m in sent) == ["confirmed"] * 3
    assert {m.registration_id for m in sent} == newcomers


def test_a_full_rerun_seats_the_waiting_line_when_seats_allow(app) -> None:
    (workshops,) = _event(app, rounds=1, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["1", "2", "3"], ["1", "2", "3"], ["2", "1", "3"]])
    _run(app)
    waiting = [p for p in _people(app).values() if p.status == RegistrationStatus.WAITLISTED]
    assert len(waiting) == 1
    with app.app_context():
        db.session.execute(db.update(Room).values(capacity=2))
        db.session.execute(db.update(ProgrammeItem).values(capacity=2))
        db.session.commit()
    mails = len(outbox(app))
    done = _run(app, "--full")
    assert "1 quitte(nt) la liste d'attente" in done.output
    people = _people(app)
    assert people[waiting[0].first_name].status == CONFIRMED
    promoted = [m.registration_id for m in outbox(app)[mails:] if m.kind == "promoted"]
    assert promoted == [waiting[0].id]
    taken = [item for p in people.values() for item in p.choice_ids]
    assert all(taken.count(w) <= 2 for w in workshops)


def test_a_full_rerun_keeps_pins_and_refuses_first_come_events(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    a, b = rounds
    _pending(app, [["1", "2", "3"], ["1", "2", "3"]])
    runner = app.test_cli_runner()
    pinned = ["allocation", "pin", SLUG, "personne1@example.org", str(a[0]), str(b[2])]
    assert runner.invoke(args=pinned).exit_code == 0
    _run(app)
    _pending(app, [["1", "2", "3"]], start=2)
    _run(app, "--full")
    assert _people(app)["Personne1"].choice_ids == sorted([a[0], b[2]])

    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="first-come"))
        db.session.commit()
    refused = runner.invoke(args=["allocation", "run", SLUG, "--full"])
    assert refused.exit_code != 0 and "premier arrivé" in refused.output
    assert len(refused.output.strip().splitlines()) == 1


def test_a_seat_lost_to_lowered_capacities_is_cancelled_in_the_calendar(app) -> None:
    (workshops,) = _event(app, rounds=1, workshop_capacity=1)
    t1, t2, t3 = workshops
    _pending(app, [["1", "2", "3"], ["1", "2", "3"]])
    _run(app)
    people = _people(app)
    assert (people["Personne0"].choice_ids, people["Personne1"].choice_ids) == ([t1], [t2])
    with app.app_context():  # the rooms of themes 2 and 3 are lost
        db.session.execute(
            db.update(Room).where(Room.capacity == 1, Room.position > 1).values(capacity=0)
        )
        db.session.execute(
            db.update(ProgrammeItem).where(ProgrammeItem.id.in_([t2, t3])).values(capacity=0)
        )
        db.session.commit()
    mails = len(outbox(app))
    _run(app, "--full")
    people = _people(app)
    assert people["Personne0"].choice_ids == [t1]  # seated first, kept
    assert people["Personne1"].status == RegistrationStatus.WAITLISTED
    assert people["Personne1"].choice_ids == []
    sent = outbox(app)[mails:]
    assert sorted(m.kind for m in sent) == ["waitlisted", "withdrawn"]
    assert {m.registration_id for m in sent} == {people["Personne1"].id}
    assert next(m for m in sent if m.kind == "withdrawn").item_ids == str(t2)
    # Both are written and delivered: the CANCEL names the workshop lost.
    delivered = app.test_cli_runner().invoke(args=["mail", "send"])
    assert delivered.exit_code == 0, delivered.output
    assert {m.status for m in outbox(app)[mails:]} == {"sent"}
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), key=lambda f: f.stat().st_mtime)
    cancel = [f.read_text() for f in files[-2:] if "METHOD:CANCEL" in f.read_text()]
    assert len(cancel) == 1

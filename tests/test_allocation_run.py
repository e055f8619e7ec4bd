"""`eventapp allocation mode|run`: the solver applied to an event's pending registrations."""

from __future__ import annotations

import pytest
from factories import make_event, workshops
from regutil import outbox
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Registration, RegistrationStatus
from eventapp.models.types import utcnow
from eventapp.registration.rules import RegistrationRefused, Taken
from eventapp.registration.seating import best_schedule, email_key, new_token
from eventapp.registration.service import cancel, confirm

SLUG = "journee-ouverte"


def _pending(app, rankings: list[list[str]], *, slug: str = SLUG, start: int = 0) -> None:
    """Pending registrations with these rankings, in this registration order."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        for n, ranking in enumerate(rankings, start):
            token = new_token()
            email = f"personne{n}@example.org"
            db.session.add(
                Registration(
                    event_id=event.id,
                    token=token,
                    token_lookup=token[:12],
                    first_name=f"Personne{n}",
                    last_name="Test",
                    email=email,
                    email_key=email_key(email),
                    status=RegistrationStatus.PENDING,
                    consent_at=utcnow(),
                    preferences=ranking,
                )
            )
            db.session.commit()
        db.session.remove()


def _event(app, mode: str = "preferences", **options) -> list[list[int]]:
    with app.app_context():
        event = make_event(**options)
        event.allocation_mode = mode
        db.session.commit()
        found = workshops(event)
        db.session.remove()
    return found


def _people(app) -> dict[str, Registration]:
    with app.app_context():
        rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        for row in rows:
            row.choice_ids = sorted(choice.item_id for choice in row.choices)
        db.session.expunge_all()
    return {row.first_name: row for row in rows}


def test_mode_switches_and_refuses_bad_input(app) -> None:
    _event(app, mode="first-come")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["allocation", "mode", SLUG, "preferences"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.scalar(select(Event.allocation_mode)) == "preferences"

    bad = runner.invoke(args=["allocation", "mode", SLUG, "lottery"])
    assert bad.exit_code != 0
    assert "lottery" in bad.output and "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1

    unknown = runner.invoke(args=["allocation", "mode", "nulle-part", "preferences"])
    assert unknown.exit_code != 0 and "nulle-part" in unknown.output

    _pending(app, [["1", "2", "3"]])
    refused = runner.invoke(args=["allocation", "mode", SLUG, "first-come"])
    assert refused.exit_code != 0
    assert len(refused.output.strip().splitlines()) == 1
    with app.app_context():
        assert db.session.scalar(select(Event.allocation_mode)) == "preferences"


def test_run_refuses_a_first_come_event_and_an_event_with_nobody_pending(app) -> None:
    _event(app, mode="first-come")
    runner = app.test_cli_runner()
    first_come = runner.invoke(args=["allocation", "run", SLUG])
    assert first_come.exit_code != 0
    assert "premier arrivé" in first_come.output
    assert len(first_come.output.strip().splitlines()) == 1

    runner.invoke(args=["allocation", "mode", SLUG, "preferences"])
    nobody = runner.invoke(args=["allocation", "run", SLUG])
    assert nobody.exit_code != 0
    assert "personne n'attend" in nobody.output
    assert outbox(app) == []


def test_dry_run_prints_the_figures_and_changes_nothing(app) -> None:
    _event(app, workshop_capacity=1)
    # Everyone wants theme 1 first: one seat a round in it.
    _pending(app, [["1", "2", "3"], ["1", "2", "3"], ["1", "3", "2"]])
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Allocation optimale (prouvée)" in result.output
    assert "3 personne(s) placée(s), 0 en liste d'attente" in result.output
    assert "choix n° 1 : 2 atelier(s)" in result.output
    assert "Premier arrivé, premier servi" in result.output
    assert "Simulation : rien n'a changé." in result.output
    people = _people(app)
    assert {p.status for p in people.values()} == {RegistrationStatus.PENDING}
    assert all(p.choice_ids == [] for p in people.values())
    assert outbox(app) == []


def test_run_seats_everyone_within_capacities_with_one_mail_each(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    # 3 workshops of 1 seat a round: 3 people can be seated, the 4th waits.
    _pending(app, [["1", "2", "3"], ["1", "2", "3"], ["2", "1", "3"], ["3", "2", "1"]])
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG])
    assert result.exit_code == 0, result.output
    assert "3 personne(s) confirmée(s), 1 en liste d'attente" in result.output
    people = _people(app)
    confirmed = [p for p in people.values() if p.status == RegistrationStatus.CONFIRMED]
    waiting = [p for p in people.values() if p.status == RegistrationStatus.WAITLISTED]
    assert len(confirmed) == 3 and len(waiting) == 1
    # Every seat is taken exactly once, one workshop a round, never the same theme twice.
    seats = [item for p in confirmed for item in p.choice_ids]
    assert sorted(seats) == sorted(rounds[0] + rounds[1])
    for p in confirmed:
        first, second = sorted(p.choice_ids)
        assert first in rounds[0] and second in rounds[1]
        # a different theme in each round
        assert rounds[0].index(first) != rounds[1].index(second)
    assert waiting[0].choice_ids == [] and waiting[0].waitlist_rank is not None
    mails = outbox(app)
    assert sorted(m.kind for m in mails) == ["confirmed"] * 3 + ["waitlisted"]
    assert len({m.registration_id for m in mails}) == 4


def test_second_run_seats_newcomers_without_moving_anyone(app) -> None:
    rounds = _event(app, workshop_capacity=2, event_capacity=3)
    _pending(app, [["1", "2", "3"], ["1", "2", "3"]])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["allocation", "run", SLUG]).exit_code == 0
    before = {name: p.choice_ids for name, p in _people(app).items()}
    assert all(before.values())

    _pending(app, [["1", "2", "3"], ["1", "2", "3"]], start=10)
    again = runner.invoke(args=["allocation", "run", SLUG])
    assert again.exit_code == 0, again.output
    people = _people(app)
    for name, seats in before.items():
        assert people[name].choice_ids == seats
        assert people[name].status == RegistrationStatus.CONFIRMED
    # The event has 3 seats: one newcomer seated, in workshops that still had room.
    assert people["Personne10"].status == RegistrationStatus.CONFIRMED
    assert people["Personne11"].status == RegistrationStatus.WAITLISTED
    taken = [item for p in people.values() for item in p.choice_ids]
    for item in rounds[0] + rounds[1]:
        assert taken.count(item) <= 2
    assert len(outbox(app)) == 4


def test_capacities_too_small_for_anyone_waitlist_everyone_and_say_so(app) -> None:
    _event(app, workshop_capacity=0)
    _pending(app, [["1", "2", "3"], ["2", "1", "3"]])
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG])
    assert result.exit_code == 0, result.output
    assert "placer personne" in result.output
    people = _people(app)
    assert {p.status for p in people.values()} == {RegistrationStatus.WAITLISTED}


def test_only_k_ranks_asked_unranked_themes_count_k_plus_one(app) -> None:
    _event(app)
    with app.app_context():
        db.session.execute(db.update(Event).values(ranks_asked=1))
        db.session.commit()
    _pending(app, [["2"]])
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG])
    assert result.exit_code == 0, result.output
    assert "choix n° 1 : 1 atelier(s)" in result.output
    assert "choix n° 2 : 1 atelier(s)" in result.output


def test_a_seat_freed_after_the_run_goes_to_the_waitlist_by_their_ranking(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["2", "3", "1"], ["3", "1", "2"], ["3", "2", "1"]])
    assert app.test_cli_runner().invoke(args=["allocation", "run", SLUG]).exit_code == 0
    people = _people(app)
    waiting = next(p for p in people.values() if p.status == RegistrationStatus.WAITLISTED)
    leaving = next(p for p in people.values() if p.status == RegistrationStatus.CONFIRMED)
    freed = leaving.choice_ids
    with app.app_context():
        cancel(db.session.get(Registration, leaving.id))
    after = _people(app)[waiting.first_name]
    assert after.status == RegistrationStatus.CONFIRMED
    # The only seats free are the two just freed: one a round, two different themes.
    assert after.choice_ids == sorted(freed)
    first, second = sorted(after.choice_ids)
    assert first in rounds[0] and second in rounds[1]
    assert [m.kind for m in outbox(app) if m.registration_id == waiting.id] == [
        "waitlisted",
        "promoted",
    ]


def test_best_schedule_follows_the_ranking_and_the_themes_rule(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    with app.app_context():
        event = db.session.scalar(select(Event))
        a, b = rounds
        # Theme 1 full in round 1: theme 1 in round 2, theme 2 (second choice) in round 1.
        found = best_schedule(event, ["1", "2", "3"], Taken(1, {a[0]: 1}))
        assert [item.id for item in found] == [a[1], b[0]]
        # Nothing free in round 2 but theme 1: round 1 cannot take theme 1 again.
        taken = Taken(2, {b[1]: 1, b[2]: 1, a[1]: 1, a[2]: 1})
        assert best_schedule(event, ["1", "2", "3"], taken) is None


def test_an_organiser_confirms_someone_waitlisted_by_the_run_into_workshops(app) -> None:
    _event(app, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["2", "3", "1"], ["3", "1", "2"], ["1", "3", "2"]])
    assert app.test_cli_runner().invoke(args=["allocation", "run", SLUG]).exit_code == 0
    waiting = next(p for p in _people(app).values() if p.status == RegistrationStatus.WAITLISTED)
    with app.app_context():
        # Every seat is taken: refused, nothing changes.
        with pytest.raises(RegistrationRefused):
            confirm(db.session.get(Registration, waiting.id))
        db.session.execute(db.update(ProgrammeItem).values(capacity=2))
        db.session.commit()
        confirm(db.session.get(Registration, waiting.id))
    after = _people(app)[waiting.first_name]
    assert after.status == RegistrationStatus.CONFIRMED
    assert len(after.choice_ids) == 2


def test_a_pinned_person_is_seated_where_pinned_whatever_their_ranking(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["1", "2", "3"]])
    runner = app.test_cli_runner()
    a, b = rounds
    # Personne1 (second to register) facilitates workshop 1 of round 1, theme 3 after.
    done = runner.invoke(
        args=["allocation", "pin", SLUG, "personne1@example.org", str(a[0]), str(b[2])]
    )
    assert done.exit_code == 0, done.output
    for bad in (
        ["nobody@example.org", str(a[0])],
        ["personne0@example.org", str(a[0]), str(a[1])],  # two in one round
        ["personne0@example.org", str(a[0]), str(b[0])],  # one theme twice
        ["personne0@example.org", "999999"],
    ):
        refused = runner.invoke(args=["allocation", "pin", SLUG, *bad])
        assert refused.exit_code != 0 and len(refused.output.strip().splitlines()) == 1
    result = runner.invoke(args=["allocation", "run", SLUG])
    assert result.exit_code == 0, result.output
    people = _people(app)
    assert people["Personne1"].choice_ids == sorted([a[0], b[2]])
    assert people["Personne0"].status == RegistrationStatus.CONFIRMED
    assert a[0] not in people["Personne0"].choice_ids
    assert people["Personne0"].pins is None
    late = runner.invoke(args=["allocation", "pin", SLUG, "personne0@example.org", str(a[1])])
    assert late.exit_code != 0  # already seated: pins only matter before the run


def test_pins_beyond_the_seats_left_are_a_one_line_refusal(app) -> None:
    rounds = _event(app, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["1", "2", "3"]])
    runner = app.test_cli_runner()
    for email in ("personne0@example.org", "personne1@example.org"):
        args = ["allocation", "pin", SLUG, email, str(rounds[0][0])]
        assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=["allocation", "run", SLUG])
    assert result.exit_code != 0
    assert "impossible" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert {p.status for p in _people(app).values()} == {RegistrationStatus.PENDING}

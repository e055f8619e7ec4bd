"""The waiting list and the rules, called as the views, CLI and API call them."""

from __future__ import annotations

import pytest
from factories import make_event
from regutil import outbox

from eventapp.extensions import db
from eventapp.mail import deliver_due
from eventapp.models import ProgrammeItem, Registration
from eventapp.programme import choice_blocks
from eventapp.registration import (
    Applicant,
    RegistrationRefused,
    cancel,
    change_choices,
    check_choices,
    register,
    seats_changed,
    seats_left,
    waitlist_position,
)


def applicant(n: int, language: str = "fr") -> Applicant:
    return Applicant(f"Prénom{n}", f"Nom{n}", f"p{n}@example.org", language=language)


def rounds_of(event) -> list[list[ProgrammeItem]]:
    return [block.workshops for block in choice_blocks(event)]


def statuses(event) -> list[tuple[str, str, int | None]]:
    rows = db.session.scalars(
        db.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()
    return [(row.email, row.status.value, waitlist_position(row)) for row in rows]


def test_waitlist_in_order_and_promotion_on_cancellation(app, ctx) -> None:
    event = make_event(rounds=1, workshop_capacity=2)
    [[a, b, _c]] = rounds_of(event)
    people = [register(event, applicant(n), [a]).registration for n in range(5)]
    assert [status for _, status, _ in statuses(event)] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [position for *_, position in statuses(event)] == [None, None, 1, 2, 3]
    other = register(event, applicant(9), [b]).registration
    assert other.status == "confirmed", "a free workshop does not wait behind a full one"

    cancel(people[0])
    assert [s for _, s, _ in statuses(event)][:5] == [
        "cancelled",
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert waitlist_position(people[3]) == 1 and waitlist_position(people[4]) == 2
    deliver_due()  # registration mails are written when delivered
    [promoted] = outbox(app, "promoted")
    assert promoted.recipient == "p2@example.org"
    assert "Une place s'est libérée" in promoted.body_text
    assert promoted.subject.startswith("Une place s'est libérée")


def test_promotion_skips_who_does_not_fit_and_keeps_their_place(app, ctx) -> None:
    event = make_event(rounds=2, workshop_capacity=1)
    (a1, b1, _c1), (a2, b2, _c2) = rounds_of(event)
    first = register(event, applicant(1), [a1, b2]).registration
    register(event, applicant(2), [b1, a2])
    blocked = register(event, applicant(3), [b1, a2]).registration  # waits for b1 and a2
    fits_later = register(event, applicant(4), [a1, b2]).registration  # waits for a1 and b2
    assert (blocked.status, fits_later.status) == ("waitlisted", "waitlisted")
    cancel(first)  # frees a1 and b2: only the second in line can use them
    db.session.refresh(blocked)
    db.session.refresh(fits_later)
    assert blocked.status == "waitlisted" and waitlist_position(blocked) == 1
    assert fits_later.status == "confirmed"


def test_event_capacity_waitlists_even_with_workshop_seats(app, ctx) -> None:
    event = make_event(rounds=1, workshop_capacity=10, event_capacity=2)
    [[a, b, c]] = rounds_of(event)
    outcomes = [register(event, applicant(n), [w]) for n, w in enumerate([a, b, c])]
    assert [o.registration.status for o in outcomes] == ["confirmed", "confirmed", "waitlisted"]
    left = seats_left(event)
    assert left.event == 0 and set(left.items.values()) == {0}


def test_raising_a_capacity_promotes_the_first_in_line(app, ctx) -> None:
    event = make_event(rounds=1, workshop_capacity=1)
    [[a, _b, _c]] = rounds_of(event)
    register(event, applicant(1), [a])
    second = register(event, applicant(2), [a]).registration
    third = register(event, applicant(3), [a]).registration
    a.capacity = 2
    db.session.commit()
    promoted = seats_changed(event)
    assert [r.email for r in promoted] == ["p2@example.org"]
    assert second.status == "confirmed" and third.status == "waitlisted"
    assert waitlist_position(third) == 1


def test_a_waitlisted_person_who_changes_to_a_free_workshop_is_confirmed(app, ctx) -> None:
    event = make_event(rounds=1, workshop_capacity=1)
    [[a, b, _c]] = rounds_of(event)
    register(event, applicant(1), [a])
    waiting = register(event, applicant(2), [a]).registration
    change_choices(waiting, [b])
    assert waiting.status == "confirmed"
    kinds = [mail.kind for mail in outbox(app) if mail.recipient == "p2@example.org"]
    assert kinds == ["waitlisted", "changed", "promoted"]


def test_a_cancelled_registration_cannot_change(app, ctx) -> None:
    event = make_event(rounds=1)
    [[a, b, _c]] = rounds_of(event)
    registration = register(event, applicant(1), [a]).registration
    cancel(registration)
    with pytest.raises(RegistrationRefused) as refused:
        change_choices(registration, [b])
    with app.test_request_context():
        assert "annulée" in str(refused.value.errors["form"])


def test_check_choices_one_workshop_per_round_and_no_theme_twice(app, ctx) -> None:
    event = make_event(rounds=2)
    (a1, b1, _c1), (a2, _b2, _c2) = rounds_of(event)
    items, errors = check_choices(event, {"workshop_1": str(a1.id), "workshop_2": str(a2.id)})
    with app.test_request_context():
        messages = {name: str(message) for name, message in errors.items()}
    assert messages == {"workshop_2": "Vous avez déjà choisi ce thème dans un autre créneau."}
    items, errors = check_choices(event, {"workshop_1": str(b1.id), "workshop_2": str(a2.id)})
    assert errors == {} and items == [b1, a2]


def test_mail_goes_out_in_the_registrants_language(app, ctx) -> None:
    event = make_event(rounds=1)
    [[a, _b, _c]] = rounds_of(event)
    register(event, applicant(1, language="en"), [a])
    register(event, applicant(2, language="fr"), [a])
    deliver_due()  # registration mails are written when delivered
    english, french = outbox(app, "confirmed")
    assert english.language == "en" and french.language == "fr"
    # dates are written in each person's language (names of days and months)
    weekday_en = event.local(event.starts_at).strftime("%A")
    assert weekday_en in english.body_text
    assert weekday_en not in french.body_text


def test_personal_data_is_erased_a_year_after_the_event(app, ctx) -> None:
    from datetime import timedelta

    from eventapp.models.types import utcnow

    past = make_event(
        slug="il-y-a-longtemps",
        rounds=1,
        starts_in=timedelta(days=-400),
        opens=timedelta(days=-500),
        closes=timedelta(days=-401),
    )
    recent = make_event(
        slug="recente",
        rounds=1,
        starts_in=timedelta(days=-100),
        opens=timedelta(days=-200),
        closes=timedelta(days=-101),
    )
    for event in (past, recent):
        [[a, _b, _c]] = rounds_of(event)
        # registered while it was open
        registration = Registration(
            event=event,
            token=f"{event.slug:_<32}"[:32],
            token_lookup=event.slug[:12],
            first_name="Ana",
            last_name="López",
            email=f"ana@{event.slug}.org",
            email_key=f"ana@{event.slug}.org",
            status="confirmed",
            consent_at=utcnow(),
        )
        db.session.add(registration)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["registrations", "purge"])
    assert result.exit_code == 0 and result.output == "1 inscription anonymisée.\n"
    db.session.expire_all()
    rows = {row.event.slug: row for row in db.session.scalars(db.select(Registration))}
    assert rows["il-y-a-longtemps"].email == "" and rows["il-y-a-longtemps"].erased_at
    assert rows["recente"].email == "ana@recente.org"


def test_promote_command(app, ctx) -> None:
    event = make_event(rounds=1, workshop_capacity=1)
    [[a, _b, _c]] = rounds_of(event)
    register(event, applicant(1), [a])
    waiting = register(event, applicant(2), [a]).registration
    a.capacity = 2
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["registrations", "promote", event.slug])
    assert result.output == "1 inscription promue depuis la liste d'attente.\n"
    db.session.refresh(waiting)
    assert waiting.status == "confirmed"
    unknown = runner.invoke(args=["registrations", "promote", "nope"])
    assert unknown.exit_code == 1
    assert unknown.output == "Erreur : aucun événement n'a l'adresse (slug) « nope »\n"


def test_a_waitlist_mail_that_waited_tells_the_position_at_delivery(app, ctx) -> None:
    """Registration mails are written when delivered: one held back (a busy watcher, a
    refusing server) gives the place in line as it is when it leaves, not as it was."""
    event = make_event(rounds=1, workshop_capacity=1)
    [[a, _b, _c]] = rounds_of(event)
    register(event, applicant(1), [a])
    ahead = register(event, applicant(2), [a]).registration
    register(event, applicant(3), [a])
    cancel(ahead)  # the third person moves up to first in line before any mail left
    deliver_due()
    waiting = [row for row in outbox(app, "waitlisted") if row.recipient == "p3@example.org"]
    assert len(waiting) == 1
    assert "en position 1" in waiting[0].body_text

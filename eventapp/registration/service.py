"""Registering, changing, cancelling, promoting one person: each one unit of work under
the event's lock (eventapp.registration.locking), committed here. The batch of the CSV
import is eventapp.registration.batch; erasure is eventapp.registration.erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.registration import mails
from eventapp.registration.confirmation import hold_for_confirmation, mail_link_again
from eventapp.registration.locking import lock_event
from eventapp.registration.rules import (
    Applicant,
    RegistrationRefused,
    choice_fields,
    fits,
    full_items,
    seats_taken,
)
from eventapp.registration.seating import (
    Seats,
    apply_change,
    best_schedule,
    email_key,
    new_pending,
    new_registration,
    next_rank_in,
    promote_waitlist,
    refresh,
    refresh_capacities,
)


@dataclass
class RegisterOutcome:
    """``created``: a new registration. Otherwise the address was registered already
    (its link was mailed to it) or ``resubmitted``: the same form was sent twice."""

    registration: Registration
    created: bool
    resubmitted: bool = False
    #: The person's link, read before the commit expires the registration (a page that
    #: only redirects to it needs no query more).
    token: str = ""


def register(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    submission_key: str | None = None,
    now: datetime | None = None,
    preferences: list[str] | None = None,
) -> RegisterOutcome:
    """Registers a person with one workshop per round: confirmed when the event and every
    picked workshop have a seat, else waitlisted at the end of the line. When the event
    asks registrants to confirm their address, the seat is held and only the confirmation
    link is mailed (eventapp.registration.confirmation). With ``preferences`` (an event in
    preferences mode, ``items`` empty): pending with that ranking, no seat counted, a
    "wishes received" mail; or, once an allocation has run and the event seats latecomers
    first come first served (``after_allocation``), seated at once in the best workshops
    for that ranking that have room, else waitlisted.

    Same address twice: nothing is created; a fresh link is mailed to that address and the
    old one voided, at most once an hour (eventapp.registration.confirmation).
    Same form (``submission_key``) sent twice for the same address: the first
    registration is returned, and its page may be shown again.
    """
    now = now or utcnow()
    key = email_key(applicant.email)
    try:
        lock_event(event.id)
        same_address, same_form = _registered_before(event.id, key, submission_key)
        if same_form is not None and same_form is same_address:
            outcome = RegisterOutcome(
                same_form, created=False, resubmitted=True, token=same_form.token
            )
            db.session.commit()
            return outcome
        if same_form is not None:
            # The same page sent again for someone else (a shared computer, the Back
            # button): a new registration, which must not open the first one's page.
            submission_key = None
        if same_address is not None:
            # Whoever asks learns nothing more: no link, whether mailed or not.
            mail_link_again(same_address, now)
            outcome = RegisterOutcome(same_address, created=False)
            db.session.commit()
            return outcome
        if preferences is not None and seats_after_allocation(event):
            registration = _seat_by_ranking(event, applicant, preferences, now, submission_key)
        elif preferences is not None:
            registration = new_pending(event, applicant, preferences, now, submission_key)
        else:
            seats = Seats.counted(event, items)
            registration = new_registration(event, applicant, items, seats, now, submission_key)
        db.session.flush()
        if event.confirm_address:
            hold_for_confirmation(registration)
        else:
            mails.enqueue(registration.status.value, registration)
        outcome = RegisterOutcome(registration, created=True, token=registration.token)
        db.session.commit()
    except IntegrityError:
        # Only a writer that bypassed the lock can get here; the constraint keeps one row.
        db.session.rollback()
        raise
    except BaseException:
        db.session.rollback()
        raise
    return outcome


def seats_after_allocation(event: Event) -> bool:
    """Whether a new ranking is seated at once: an allocation has seated or waitlisted
    people already and the event's rule after it is first come, first served."""
    if event.after_allocation != "first-come":
        return False
    return (
        db.session.scalar(
            select(Registration.id)
            .where(
                Registration.event_id == event.id,
                Registration.preferences.is_not(None),
                Registration.status.in_(
                    (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
                ),
            )
            .limit(1)
        )
        is not None
    )


def _seat_by_ranking(
    event: Event,
    applicant: Applicant,
    preferences: list[str],
    now: datetime,
    submission_key: str | None,
) -> Registration:
    """After an allocation: the best workshops for the ranking that have room, confirmed
    (the rule of a new registration); else waitlisted at the end of the line, to be
    promoted by that ranking when seats free up."""
    workshops = [item for _name, block in choice_fields(event) for item in block.workshops]
    seats = Seats.counted(event, workshops)
    found = best_schedule(event, preferences, seats.taken)
    if found is not None and fits(event, found, seats.taken):
        registration = new_registration(event, applicant, found, seats, now, submission_key)
    else:
        registration = new_pending(event, applicant, preferences, now, submission_key)
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_rank = seats.next_rank()
    registration.preferences = list(preferences)
    return registration


def _registered_before(
    event_id: int, key: str, submission_key: str | None
) -> tuple[Registration | None, Registration | None]:
    """The registration of this address, and the one made with this very form (the same
    submission key), read in one query."""
    match = Registration.email_key == key
    if submission_key:
        match = match | (Registration.submission_key == submission_key)
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event_id, match)
    ).all()
    same_address = next((row for row in rows if row.email_key == key), None)
    same_form = next(
        (row for row in rows if submission_key and row.submission_key == submission_key), None
    )
    return same_address, same_form


def seats_changed(event: Event) -> list[Registration]:
    """For organisers: after raising a capacity, promotes whoever now fits, atomically."""
    try:
        lock_event(event.id)
        db.session.refresh(event)
        promoted = promote_waitlist(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return promoted


def confirm(registration: Registration, *, force: bool = False) -> Registration:
    """For organisers: confirms one waitlisted registration out of turn when its event and
    workshops have a seat (else RegistrationRefused names the full ones), or despite a full
    workshop when ``force`` is set (the organiser adds a chair). Mailed like a promotion."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        if registration.status != RegistrationStatus.WAITLISTED:
            raise RegistrationRefused(
                {"form": _l("Seule une inscription en liste d'attente peut être confirmée.")}
            )
        items = [choice.item for choice in registration.choices]
        refresh_capacities(event, items)
        taken = seats_taken(event.id)
        if not items and registration.preferences is not None:
            # Waitlisted by an allocation: the best workshops for the ranking with room.
            workshops = [item for _name, block in choice_fields(event) for item in block.workshops]
            refresh_capacities(event, workshops)
            items = best_schedule(event, registration.preferences, taken) or []
            if not items and choice_fields(event):
                raise RegistrationRefused(
                    {"form": _l("Aucun atelier n'a de place pour ses choix.")}
                )
            registration.choices = [RegistrationChoice(item=item) for item in items]
        if not force and not fits(event, items, taken):
            full = [item.title for item in full_items(event, items, taken)] or [event.title]
            raise RegistrationRefused({"form": _l("Complet : %(names)s.", names=", ".join(full))})
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = utcnow()
        db.session.flush()
        mails.enqueue("promoted", registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


def change_choices(registration: Registration, items: list[ProgrammeItem]) -> Registration:
    """Replaces the workshops picked. A confirmed person keeps their place only if every new
    workshop has a seat (else RegistrationRefused names the full ones); a waitlisted person
    keeps their rank and is confirmed as soon as the new picks fit."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        apply_change(event, registration, items, Seats.counted(event, items), mails.enqueue)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


def cancel(registration: Registration) -> Registration:
    """Cancels; the seats go to the first in line who fits, told by mail."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED:
            registration.status = RegistrationStatus.CANCELLED
            registration.cancelled_at = utcnow()
            db.session.flush()
            mails.enqueue("cancelled", registration)
            promote_waitlist(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


def reactivate(registration: Registration) -> Registration:
    """Registers again someone who cancelled, with the same workshops: confirmed if they
    still fit, else at the end of the waiting list. Only the link's holder can do this
    (a new attempt with the same address only mails the link)."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED or registration.erased_at:
            db.session.commit()
            return registration
        items = [choice.item for choice in registration.choices]
        if registration.preferences is not None and not items:
            # Cancelled before the allocation: waits for it again with the same ranking.
            registration.cancelled_at = None
            registration.status = RegistrationStatus.PENDING
            db.session.flush()
            mails.enqueue("pending", registration)
            db.session.commit()
            return registration
        if any(item.cancelled_at for item in items):
            raise RegistrationRefused(
                {"form": _l("Un de vos ateliers a été supprimé : choisissez-en un autre.")}
            )
        refresh_capacities(event, items)
        now = utcnow()
        confirmed = fits(event, items, seats_taken(event.id))
        registration.cancelled_at = None
        if confirmed:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
        else:
            registration.status = RegistrationStatus.WAITLISTED
            registration.waitlist_rank = next_rank_in(event.id)
        db.session.flush()
        mails.enqueue("confirmed" if confirmed else "waitlisted", registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration

"""Erasing a person's data: on request (their page, an organiser) and a year after each
event; the seats freed go to the waiting list, the mails (rows and .eml files) go."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from eventapp import audit, mail
from eventapp.extensions import db
from eventapp.models import Event, OutboxMessage, Registration, RegistrationStatus
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.models.types import utcnow
from eventapp.registration.locking import lock_event
from eventapp.registration.seating import new_token, promote_waitlist, refresh

RETENTION = timedelta(days=365)


def anonymise(registration: Registration, now: datetime) -> None:
    """Empties the person's data, voids the link, deletes the mails' rows; under the
    event's lock, committed by the caller (the .eml files removed after it)."""
    # The mails' rows first, before the registration's row is written: a mail being sent
    # stays locked until its sender commits, and that commit writes the registration's
    # calendar sequences (eventapp.mail.outbox). Taking the two rows in the sender's order,
    # the erasure waits for the send to end; the other way round, each would wait for the
    # other (a deadlock, one of them failed by PostgreSQL).
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    )
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = registration.cancelled_at or now
    registration.erased_at = now
    registration.first_name = ""
    registration.last_name = ""
    registration.email = ""
    registration.email_key = None
    registration.organisation = ""
    registration.job_title = ""
    registration.submission_key = None
    token = new_token()  # nobody knows it: the old link leads nowhere
    registration.token = token
    registration.token_lookup = token[:TOKEN_LOOKUP_LENGTH]


def erase(registration: Registration) -> None:
    """Anonymises the registration: personal data and mails gone (their outbox rows, and
    the .eml files written for them when mail goes to files), the link dead, the seat
    freed; the row and its workshop choices stay so that the counts stay true. The audit
    trail keeps that it happened, and no longer names the person anywhere."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        written = mail.written_mails([registration.id])
        anonymise(registration, utcnow())
        audit.forget_registrations([registration.id])
        audit.record(event, "registration.erased", registration, commit=False)
        db.session.flush()
        promote_waitlist(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mail.remove_eml_files(written)  # once the erasure holds: a rolled back one keeps them


def erase_expired(now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Anonymises every registration of the events that ended more than ``retention`` ago
    (what the consent text promises), their mails' .eml files included, and their names
    and addresses in the events' audit trails; returns how many. Nobody is promoted or
    mailed."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Event.id).where(Event.ends_at < now - retention).order_by(Event.id)
    ).all()
    db.session.commit()
    erased = 0
    for event_id in event_ids:
        try:
            lock_event(event_id)
            rows = db.session.scalars(
                select(Registration).where(
                    Registration.event_id == event_id, Registration.erased_at.is_(None)
                )
            ).all()
            written = mail.written_mails(registration.id for registration in rows)
            for registration in rows:
                anonymise(registration, now)
            audit.forget_registrations([registration.id for registration in rows])
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        mail.remove_eml_files(written)
        erased += len(rows)
    return erased

"""Telling registrants that the compte-rendu is out: one mail each, through the outbox.

Rule: every confirmed registrant whose data is still there gets the ``proceedings`` mail
at most once per event. Publishing again after withdrawing the compte-rendu (to fix a
typo, the same day or months later) mails only the confirmed registrants who never got
it: the link of the PDF never changes, so a second mail would tell them nothing new.
Only the request that actually turns the switch on (one conditional UPDATE) mails: two
organisers clicking "publish" at once never mail anybody twice. "At most once" is read
from the outbox itself (a row of kind ``proceedings`` for that registration, queued or
sent), so it needs no column of its own and survives restarts.
"""

from __future__ import annotations

from sqlalchemy import select, update

from eventapp import mail
from eventapp.extensions import db
from eventapp.models import Event, OutboxMessage, Registration, RegistrationStatus

KIND = "proceedings"


def recipients(event: Event) -> list[Registration]:
    """Confirmed, not erased, and not yet mailed about this event's compte-rendu."""
    already = select(OutboxMessage.registration_id).where(
        OutboxMessage.kind == KIND, OutboxMessage.registration_id.is_not(None)
    )
    statement = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.erased_at.is_(None),
            Registration.id.not_in(already),
        )
        .order_by(Registration.id)
    )
    return list(db.session.scalars(statement))


def publish_proceedings(event: Event) -> int:
    """Publishes the compte-rendu and queues the mails in the same unit of work
    (committed); returns how many were queued. The caller delivers them after the
    request with ``mail.deliver_new()``."""
    try:
        turned_on = db.session.execute(
            update(Event)
            .where(Event.id == event.id, Event.proceedings_published.is_(False))
            .values(proceedings_published=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.expire(event, ["proceedings_published", "updated_at"])
        people = recipients(event) if turned_on == 1 else []
        for registration in people:
            mail.enqueue(KIND, registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(people)

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

from flask_babel import gettext as _
from sqlalchemy import select, update

from eventapp.extensions import db
from eventapp.mail import outbox
from eventapp.mail.render import one_line, render_into
from eventapp.models import Event, OutboxMessage, Registration, RegistrationStatus
from eventapp.proceedings.assembly import proceedings_language
from eventapp.registration.mails import addressed, event_link, participant_url, reply_to_for

KIND = "proceedings"


def enqueue_notice(registration: Registration) -> OutboxMessage:
    """The notice for one person, written now (the link of the PDF never changes)."""
    row = outbox.queue(KIND, **addressed(registration))
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "link": participant_url(registration),
        "event_link": event_link(event),
        # The compte-rendu in the person's language when the event has it.
        "pdf_language": proceedings_language(event, registration.language),
    }
    title = event.text("title", registration.language or event.language)
    subject = lambda: one_line(_("Le compte-rendu est publié : %(event)s", event=title))  # noqa: E731
    render_into(row, "mail/proceedings", context, subject, registration.language)
    return row


@outbox.composer(KIND)
def _compose(row: OutboxMessage) -> outbox.Composed:
    return outbox.Composed(reply_to=reply_to_for(row.registration_id))


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
    request with ``eventapp.mail.deliver_new()``."""
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
            enqueue_notice(registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(people)

"""Mail written by the organisers to the participants of an event or of one workshop,
queued in the outbox as one "message" per person (eventapp.mail), written when queued:
the subject as typed, the Markdown body as the plain-text part and, sanitised, as HTML."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventapp import audit
from eventapp.extensions import db
from eventapp.i18n import gettext as _
from eventapp.mail import outbox
from eventapp.mail.render import one_line, render_into
from eventapp.models import Event, OutboxMessage, Registration, RegistrationStatus, SentMailing
from eventapp.programme import choice_blocks
from eventapp.registration.export import event_registrations
from eventapp.registration.mails import addressed, event_link, participant_url, reply_to_for
from eventapp.request_input import parse_id

KIND = "message"


def audiences(event: Event) -> list[tuple[str, str]]:
    """Who can be written to: every confirmed person, the waiting list, or the confirmed
    people of one workshop; as (value, label) pairs."""
    choices = [
        ("confirmed", _("Toutes les personnes inscrites (confirmées)")),
        ("waitlisted", _("La liste d'attente")),
    ]
    for number, block in enumerate(choice_blocks(event), 1):
        for item in block.workshops:
            choices.append(
                (
                    f"item-{item.id}",
                    _(
                        "Atelier « %(title)s » (créneau %(number)s)",
                        title=item.title,
                        number=number,
                    ),
                )
            )
    return choices


def recipients(event: Event, audience: str) -> list[Registration]:
    """The registrations an audience (a value of ``audiences``) reaches, one per address."""
    # An address not confirmed yet gets no mail but its confirmation link.
    registrations = [r for r in event_registrations(event) if not r.awaits_confirmation]
    if audience == "waitlisted":
        return [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    if audience == "confirmed":
        return confirmed
    item_id = parse_id(audience.removeprefix("item-")) if audience.startswith("item-") else None
    if item_id is not None:
        return [r for r in confirmed if any(c.item_id == item_id for c in r.choices)]
    raise ValueError(f"unknown audience {audience!r}")


def new_submission_key() -> str:
    """The one-time key of a preview: sending it twice queues the message once."""
    return secrets.token_urlsafe(24)


def is_submission_key(key: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_-]{32}", key) is not None


def already_sent(key: str) -> bool:
    return (
        db.session.scalar(select(SentMailing.id).where(SentMailing.submission_key == key))
        is not None
    )


def send_message(
    event: Event,
    audience: str,
    subject: str,
    body_md: str,
    *,
    key: str,
    translations: dict[str, tuple[str, str]] | None = None,
) -> int | None:
    """Queues the message for everyone in the audience (committed); returns how many, or
    None when a message was already sent with this one-time ``key`` (nothing is queued).
    The Markdown body becomes the plain-text part as written and, sanitised, the HTML part.
    ``subject`` and ``body_md`` are in the event's first language; ``translations`` gives
    (subject, body) in others: each person gets their language's, else the first."""
    versions = {code: text for code, text in (translations or {}).items() if all(text)}
    if already_sent(key):
        return None
    people = recipients(event, audience)
    # The key first: a second request with it waits for this one, then fails on its
    # uniqueness, before queuing anything.
    db.session.add(
        SentMailing(
            event_id=event.id,
            submission_key=key,
            audience=audience,
            subject=subject,
            recipients=len(people),
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    for registration in people:
        own_subject, own_body = versions.get(registration.language, (subject, body_md))
        enqueue_message(registration, own_subject, own_body)
    detail = {"audience": audience, "subject": subject, "recipients": len(people)}
    audit.record(event, "mailing.sent", event, detail=detail, commit=False)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return len(people)


def enqueue_message(registration: Registration, subject: str, body_md: str) -> OutboxMessage:
    """The organisers' message for one person, written now."""
    row = outbox.queue(KIND, **addressed(registration))
    context = {
        "registration": registration,
        "event": registration.event,
        "link": participant_url(registration),
        "event_link": event_link(registration.event),
        "subject": subject,
        "body_md": body_md,
    }
    render_into(row, "mail/message", context, lambda: one_line(subject), registration.language)
    return row


@outbox.composer(KIND)
def _compose(row: OutboxMessage) -> outbox.Composed:
    return outbox.Composed(reply_to=reply_to_for(row.registration_id))

"""Calendar invitations by mail (iMIP, RFC 6047): what each outbox mail carries, and the
debounced updates sent when the programme changes.

Which mail carries which iTIP method (one method per mail, as RFC 6047 asks):

- ``confirmed``, ``promoted``, ``changed``: REQUEST, the person's agenda (plenaries, breaks,
  their workshops; items already cancelled left out);
- ``cancelled`` (the registration): CANCEL, the whole agenda;
- ``withdrawn``: CANCEL, the workshops that left the agenda on a change of choice (sent with
  the ``changed`` mail, which brings the new ones);
- ``update``: REQUEST, the items of the agenda that changed (time, room, title, speakers);
- ``update_cancel``: CANCEL, the items of the agenda that were cancelled.

Item changes are caught where their SEQUENCE is bumped (:mod:`eventapp.calendar.changes`,
``before_flush``): that hook already knows, for every writer (organiser pages, CLI,
imports), which items changed in a way a calendar must see, so nothing is guessed twice.
Once the flush is written (``after_flush_postexec``), each confirmed person attending such
an item gets one waiting outbox row per method, keyed by ``pending_key``: an upsert adds
the items to it and pushes its ``next_attempt_at`` (the "not before") to now + DEBOUNCE.
Many edits within a few minutes thus make one mail per person; it is written when
delivered, from the programme as it is then (same UID, the SEQUENCE reached), inside the
same transaction as the edit (a rolled back edit queues nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from eventapp.calendar.changes import BUMPED_KEY
from eventapp.calendar.ics import Attendee, Method, agenda_items, invitation
from eventapp.extensions import db
from eventapp.mail import outbox
from eventapp.mail.outbox import NothingToSend
from eventapp.mail.render import one_line, render_into
from eventapp.models import (
    Event,
    ItemKind,
    ItemSpeaker,
    OutboxMessage,
    OutboxStatus,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.programme import load_speakers

# How long a programme change waits for the next one before its mail goes out.
DEBOUNCE = timedelta(minutes=5)

UPDATE = "update"
UPDATE_CANCEL = "update_cancel"
WITHDRAWN = "withdrawn"

METHODS = {
    "confirmed": Method.REQUEST,
    "promoted": Method.REQUEST,
    "changed": Method.REQUEST,
    "cancelled": Method.CANCEL,
    WITHDRAWN: Method.CANCEL,
    UPDATE: Method.REQUEST,
    UPDATE_CANCEL: Method.CANCEL,
}
# Kinds whose text is written at delivery time, from the programme as it is then.
DEFERRED_KINDS = (UPDATE, UPDATE_CANCEL, WITHDRAWN)

# session.info key: {registration id: ids of the workshops removed from its choices}.
REMOVED_CHOICES_KEY = "eventapp.calendar.removed_choices"


@dataclass(frozen=True)
class Invitation:
    """The iTIP object a mail carries."""

    method: Method
    data: bytes
    filename: str


def attendee(registration: Registration) -> Attendee:
    return Attendee(name=registration.full_name, email=registration.email)


def format_ids(ids: set[int] | list[int]) -> str:
    return ",".join(str(item_id) for item_id in sorted(set(ids)))


def parse_ids(text: str) -> set[int]:
    return {int(part) for part in (text or "").split(",") if part.strip()}


def person_agenda(registration: Registration) -> list[ProgrammeItem]:
    """Plenaries and breaks plus the person's workshops, cancelled ones included."""
    chosen = [choice.item for choice in registration.choices]
    return agenda_items(registration.event, chosen)


def _sequence_state(registration: Registration) -> dict[str, list[int]]:
    state = registration.calendar_sequences
    return state if isinstance(state, dict) else {}


def feed_sequences(registration: Registration, items: list[ProgrammeItem]) -> dict[int, int]:
    """Each item's SEQUENCE in the person's own feed: the one their mails carry
    (see assign_sequences), grown with the item's own since."""
    state = _sequence_state(registration)
    return {
        item.id: item.sequence + state[str(item.id)][0] for item in items if str(item.id) in state
    }


def assign_sequences(registration: Registration, items: list[ProgrammeItem]) -> dict[int, int]:
    """The SEQUENCE of each item in a message about to be mailed to the person, recorded.

    RFC 5546 has a client ignore a message whose SEQUENCE is not above the last one it
    took for that UID: after a CANCEL (a workshop given up, the registration cancelled), an
    invitation to the same item at the same SEQUENCE (the person picks it again, or
    registers again) would be dropped as stale. So every message to a person carries, for
    each UID, a SEQUENCE above any they were sent before: the item's own SEQUENCE (which
    the programme's edits bump, see eventapp.calendar.changes) plus an offset kept per
    person and item, raised whenever the item's own has not grown since the last message.
    A person who was only ever sent the programme's changes gets the item's own SEQUENCE,
    the same as the public feed's. Their personal feed adds the same offset
    (feed_sequences), so that it agrees with the mails.
    """
    state = dict(_sequence_state(registration))
    assigned: dict[int, int] = {}
    for item in items:
        key = str(item.id)
        offset, last = state.get(key, (0, None))
        sequence = item.sequence + offset
        if last is not None and sequence <= last:
            offset = last + 1 - item.sequence
            sequence = last + 1
        state[key] = [offset, sequence]
        assigned[item.id] = sequence
    if assigned:
        registration.calendar_sequences = state  # a new dict: the change is seen
    return assigned


def _items_for(row: OutboxMessage, registration: Registration) -> list[ProgrammeItem]:
    agenda = person_agenda(registration)
    kind = row.kind
    if kind in ("confirmed", "promoted"):
        return [item for item in agenda if item.cancelled_at is None]
    if kind == "changed":  # on the waiting list, nothing was ever sent to their calendar
        if registration.status != RegistrationStatus.CONFIRMED:
            return []
        return [item for item in agenda if item.cancelled_at is None]
    if kind == "cancelled":
        return agenda if registration.confirmed_at is not None else []
    ids = parse_ids(row.item_ids)
    if kind == WITHDRAWN:
        kept = {item.id for item in agenda}
        return [item for item in registration.event.items if item.id in ids and item.id not in kept]
    if registration.status != RegistrationStatus.CONFIRMED:
        return []  # cancelled since: the cancellation mail removed everything
    if kind == UPDATE:
        return [item for item in agenda if item.id in ids and item.cancelled_at is None]
    return [item for item in agenda if item.id in ids and item.cancelled_at is not None]


def invitation_for(row: OutboxMessage, now: datetime | None = None) -> Invitation | None:
    """The iTIP object the outbox row's mail carries, built now from the programme.

    Deferred rows (updates, withdrawn workshops) also get their subject and text here;
    NothingToSend when none of their items is left to tell about. Rows of other kinds,
    and events without a contact address (the ORGANIZER), carry no invitation.
    """
    method = METHODS.get(row.kind)
    registration = None
    if row.registration_id is not None:
        registration = db.session.get(Registration, row.registration_id)
    if method is None or registration is None or not registration.email:
        if row.kind in DEFERRED_KINDS:
            raise NothingToSend(row.kind)
        return None
    event = registration.event
    if not event.contact_email:
        if row.kind in DEFERRED_KINDS:
            raise NothingToSend(row.kind)
        return None
    items = load_speakers(_items_for(row, registration))
    if not items:
        if row.kind in DEFERRED_KINDS:
            raise NothingToSend(row.kind)
        return None
    base_url = current_app.config["BASE_URL"]
    if row.kind in DEFERRED_KINDS:
        _write_text(row, registration, items, base_url)
    data = invitation(
        event,
        items,
        method=method,
        attendee=attendee(registration),
        base_url=base_url,
        stamp=now or utcnow(),
        sequences=assign_sequences(registration, items),
        lang=registration.language,
    )
    filename = "annulation.ics" if method == Method.CANCEL else "invitation.ics"
    return Invitation(method=method, data=data, filename=filename)


def _subject(kind: str, event_title: str) -> str:
    subjects = {
        UPDATE: _("Programme modifié : %(event)s", event=event_title),
        UPDATE_CANCEL: _("Annulé au programme : %(event)s", event=event_title),
        WITHDRAWN: _("Retiré de votre agenda : %(event)s", event=event_title),
    }
    return one_line(subjects[kind])


def _write_text(
    row: OutboxMessage, registration: Registration, items: list[ProgrammeItem], base_url: str
) -> None:
    context = {
        "registration": registration,
        "event": registration.event,
        "items": items,
        "link": f"{base_url}/r/{registration.token}/",
    }
    title = registration.event.text("title", registration.language or "fr")
    subject = lambda: _subject(row.kind, title)  # noqa: E731
    render_into(row, "mail/calendar_update", context, subject, registration.language)
    row.recipient = registration.email
    row.language = registration.language or "fr"


def with_programme(registration_id: int | None) -> Registration | None:
    """The registration, its choices and its event's rooms, themes, items and speakers, in a
    fixed number of queries (a person's mail reads all of them)."""
    if registration_id is None:
        return None
    return db.session.scalars(
        select(Registration)
        .where(Registration.id == registration_id)
        .options(
            selectinload(Registration.choices),
            joinedload(Registration.event).options(
                selectinload(Event.rooms),
                selectinload(Event.themes),
                # with their speakers (the invitation's DESCRIPTION): one query for them all
                selectinload(Event.items)
                .selectinload(ProgrammeItem.speaker_links)
                .joinedload(ItemSpeaker.speaker),
            ),
        )
    ).first()


def reply_address(event: Event) -> Address | None:
    """Where replies to a mail about the event go: its contact address, named after the
    organisers (the sender is the app's, which nobody reads)."""
    return outbox.contact_address(event.contact_email, event.organising_body or event.title)


@outbox.composer(*DEFERRED_KINDS)
def _compose(row: OutboxMessage) -> outbox.Composed:
    """An update or a withdrawal, written now from the programme as it is."""
    registration = with_programme(row.registration_id)  # held while the mail is built
    invite = invitation_for(row)  # raises NothingToSend when nothing is left to tell
    reply_to = reply_address(registration.event) if registration is not None else None
    return outbox.Composed(reply_to=reply_to, invitation=invite)


def enqueue_withdrawn(registration: Registration) -> OutboxMessage | None:
    """After a change of choice: a CANCEL for the workshops that left the agenda.

    The removed workshops are those the ``choices`` collection lost in this unit of work
    (recorded by the listener below), less any picked again."""
    removed = db.session.info.get(REMOVED_CHOICES_KEY, {}).get(registration.id, set())
    left = removed - {choice.item_id for choice in registration.choices}
    if registration.status != RegistrationStatus.CONFIRMED:
        db.session.info.get(REMOVED_CHOICES_KEY, {}).pop(registration.id, None)
        return None
    return queue_withdrawn(registration, left)


def queue_withdrawn(registration: Registration, item_ids: Iterable[int]) -> OutboxMessage | None:
    """The CANCEL of these workshops for the person's calendar (the choices this unit of
    work took from them are then told): none without workshops, nor without the event's
    contact address (a calendar message's ORGANIZER)."""
    db.session.info.get(REMOVED_CHOICES_KEY, {}).pop(registration.id, None)
    item_ids = sorted(set(item_ids))
    if not item_ids or not registration.event.contact_email:
        return None
    return outbox.queue(
        WITHDRAWN,
        registration_id=registration.id,
        recipient=registration.email,
        language=registration.language,
        item_ids=format_ids(item_ids),
    )


@sa_event.listens_for(Registration.choices, "remove")
def _choice_removed(registration: Registration, choice: RegistrationChoice, initiator: Any) -> None:
    session = object_session(registration) if registration.id else None
    item_id = choice.item_id if choice.item_id is not None else getattr(choice.item, "id", None)
    if session is None or item_id is None:
        return
    session.info.setdefault(REMOVED_CHOICES_KEY, {}).setdefault(registration.id, set()).add(item_id)


def affected(session: Session, items: list[ProgrammeItem]) -> dict[tuple[int, str], set[int]]:
    """{(registration id, kind): item ids}: who must hear of these changed items."""
    wanted: dict[tuple[int, str], set[int]] = {}
    by_event: dict[int, list[ProgrammeItem]] = {}
    for item in items:
        by_event.setdefault(item.event_id, []).append(item)
    for event_id, changed in by_event.items():
        common = [item.id for item in changed if item.kind != ItemKind.WORKSHOP]
        workshop_ids = [item.id for item in changed if item.kind == ItemKind.WORKSHOP]
        kinds = {item.id: UPDATE_CANCEL if item.cancelled_at else UPDATE for item in changed}
        confirmed = (
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.erased_at.is_(None),
            Registration.confirm_token.is_(None),  # an unconfirmed address gets no mail
        )
        if common:
            for registration_id in session.scalars(select(Registration.id).where(*confirmed)):
                for item_id in common:
                    wanted.setdefault((registration_id, kinds[item_id]), set()).add(item_id)
        if workshop_ids:
            rows = session.execute(
                select(RegistrationChoice.registration_id, RegistrationChoice.item_id)
                .join(Registration, Registration.id == RegistrationChoice.registration_id)
                .where(*confirmed, RegistrationChoice.item_id.in_(workshop_ids))
            )
            for registration_id, item_id in rows:
                wanted.setdefault((registration_id, kinds[item_id]), set()).add(item_id)
    return wanted


def _upsert(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def schedule_updates(session: Session, item_ids: set[int], now: datetime | None = None) -> int:
    """Queues (or pushes back) one update row per affected person and method; returns how
    many rows were touched. Runs inside the unit of work that changed the items."""
    now = now or utcnow()
    items = [
        item
        for item in session.scalars(select(ProgrammeItem).where(ProgrammeItem.id.in_(item_ids)))
        if item.event.contact_email
    ]
    wanted = affected(session, items)
    if not wanted:
        return 0
    people = {
        row.id: row
        for row in session.execute(
            select(Registration.id, Registration.email, Registration.language).where(
                Registration.id.in_({registration_id for registration_id, _ in wanted})
            )
        )
    }
    insert = _upsert(session)
    table = OutboxMessage.__table__
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    not_before = now + DEBOUNCE
    rows = [
        {
            "registration_id": registration_id,
            "kind": kind,
            "recipient": people[registration_id].email,
            "sender": sender,
            "subject": "",
            "body_text": "",
            "body_html": "",
            "language": people[registration_id].language or "fr",
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": not_before,
            "created_at": now,
            "pending_key": f"{kind}:{registration_id}",
            "item_ids": format_ids(ids),
        }
        for (registration_id, kind), ids in sorted(wanted.items())
    ]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.pending_key],
        set_={
            "next_attempt_at": statement.excluded.next_attempt_at,
            "item_ids": table.c.item_ids + "," + statement.excluded.item_ids,
        },
    )
    session.execute(statement, rows)  # one executemany: one upsert per person and method
    return len(wanted)


@sa_event.listens_for(db.session, "after_flush_postexec")
def _after_flush(session: Session, flush_context: Any) -> None:
    bumped = session.info.pop(BUMPED_KEY, None)
    if bumped:
        schedule_updates(session, bumped)


@sa_event.listens_for(db.session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    session.info.pop(BUMPED_KEY, None)
    session.info.pop(REMOVED_CHOICES_KEY, None)


@sa_event.listens_for(db.session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(REMOVED_CHOICES_KEY, None)


__all__ = [
    "DEBOUNCE",
    "Invitation",
    "NothingToSend",
    "enqueue_withdrawn",
    "invitation_for",
    "schedule_updates",
]

"""The outbox: every mail is first a row here, then delivered. It is a transport and
knows no domain: a row holds a recipient, a language, a kind, a subject, text and HTML
bodies, a "not before" (``next_attempt_at``) and, for a debounced mail, a one-time key
(``pending_key``); delivery claims it, builds the mail, hands it over
(eventapp.mail.delivery) and retries with back-off when that fails.

What a mail says is written where its subject lives: registration mails in
eventapp.registration.mails, calendar updates in eventapp.calendar.notify, the
compte-rendu notice in eventapp.proceedings.notify, the organisers' messages in
eventapp.admin.mailing. Each of those registers, with :func:`composer`, the function that
completes a row of its kinds at delivery time (a mail written late, from the data as it is
then) and tells what else the mail carries (a Reply-To, a calendar invitation).

A failed delivery leaves the row queued with its error and a later ``next_attempt_at``
(back-off doubling from one minute up to six hours); a mail that can never be built or
sent (see :func:`permanent_failure`) is marked ``failed`` with its reason instead, and
shown on the event's dashboard. A row is claimed by one conditional
UPDATE before it is sent, so that two senders never send it twice, and (on PostgreSQL) stays
locked while it is sent: the claim's lease is read on each host's clock, the lock on none.

Who delivers depends on ``MAIL_DELIVERY``:

* ``request`` (the default, for ``eventapp run``): the request that queued a message
  delivers it right after committing (:func:`deliver_new`), and ``eventapp mail send``
  delivers the rest (retries, debounced calendar updates);
* ``worker`` (what gunicorn.conf.py sets): requests only queue, and
  ``eventapp mail send --watch`` delivers continuously in its own process. Building a
  mail with its invitation costs more CPU than the registration itself; out of the
  request, a rush of registrations is answered first and the mails follow.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, NamedTuple, Protocol

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, func, insert, select, update

from eventapp.extensions import db
from eventapp.mail.delivery import send
from eventapp.models import OutboxMessage, OutboxStatus
from eventapp.models.types import utcnow

CLAIM_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
NEW_MESSAGES_KEY = "eventapp.outbox.new"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    """Messages of a unit of work that was rolled back are not to be delivered."""
    session.info.pop(NEW_MESSAGES_KEY, None)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 1, 2, 4 … min, ≤ 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


class NothingToSend(Exception):
    """Raised by a composer when nothing is left to tell (a calendar update whose items
    all left the agenda, a registration erased since): the row is deleted, unsent."""


class Invitation(Protocol):
    """A calendar object a mail carries (iMIP): the ``text/calendar; method=…``
    alternative, which mail clients offer to add to the calendar, and the same object as
    an attachment."""

    method: str
    data: bytes
    filename: str


@dataclass(frozen=True)
class Composed:
    """What a composer adds to the row's text: where replies go, and an invitation."""

    reply_to: Address | None = None
    invitation: Invitation | None = None


#: Completes a row of its kinds at delivery time (fills subject and bodies when they are
#: empty; may raise NothingToSend) and returns what else the mail carries.
Composer = Callable[[OutboxMessage], Composed]
_composers: dict[str, Composer] = {}


def composer(*kinds: str) -> Callable[[Composer], Composer]:
    """Registers the decorated function as the composer of these kinds of mail."""

    def register(function: Composer) -> Composer:
        for kind in kinds:
            _composers[kind] = function
        return function

    return register


def composed_kinds() -> frozenset[str]:
    """The kinds of mail that have a composer."""
    return frozenset(_composers)


def contact_address(email: str | None, name: str) -> Address | None:
    """``name <email>`` as a Reply-To; None when the address is empty or not one."""
    if not (email or "").strip():
        return None
    try:
        address = Address(display_name=" ".join(name.split()), addr_spec=email.strip())
    except (ValueError, IndexError, HeaderParseError):
        return None
    if not address.username or not address.domain:
        return None
    return address


def columns(
    kind: str,
    *,
    recipient: str,
    language: str | None,
    registration_id: int | None = None,
    **others: object,
) -> dict[str, object]:
    """The columns of a new row, not written yet (see queue); ``others`` sets the rest
    (a written subject and bodies, ``item_ids``, ``pending_key``, ``next_attempt_at``)."""
    return {
        "registration_id": registration_id,
        "kind": kind,
        "recipient": recipient,
        "sender": current_app.config["MAIL_DEFAULT_SENDER"],
        "subject": "",
        "body_text": "",
        "body_html": "",
        "language": language or "fr",
        "next_attempt_at": utcnow(),
        **others,
    }


def queue(kind: str, **fields: Any) -> OutboxMessage:
    """A new row (the arguments of :func:`columns`) added to the session's unit of work;
    delivered once committed (see deliver_new and eventapp.mail.watch)."""
    if kind not in _composers:
        raise ValueError(f"unknown mail kind {kind!r}")
    message = OutboxMessage(**columns(kind, **fields))
    db.session.add(message)
    db.session.info.setdefault(NEW_MESSAGES_KEY, []).append(message)
    return message


class _Inserted(NamedTuple):
    """A row inserted by queue_many: deliver_new needs its id only."""

    id: int


def queue_many(rows: Iterable[dict[str, object]]) -> int:
    """Many new rows at once (each made by :func:`columns`), inserted in as few statements
    as the database allows and delivered once committed like the others. Returns the
    number of rows."""
    rows = list(rows)
    for row in rows:
        if row["kind"] not in _composers:
            raise ValueError(f"unknown mail kind {row['kind']!r}")
    if not rows:
        return 0
    if current_app.config["MAIL_DELIVERY"] == "worker":  # deliver_new will not look for them
        db.session.execute(insert(OutboxMessage), rows)
    else:
        # In the order of the ids (SQLite does not return a multi-row INSERT's in order).
        ids = sorted(db.session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), rows))
        db.session.info.setdefault(NEW_MESSAGES_KEY, []).extend(_Inserted(id_) for id_ in ids)
    return len(rows)


def build_message(row: OutboxMessage) -> EmailMessage:
    """The outbox row as a multipart/alternative mail (plain text, then HTML), completed
    by the composer of its kind; with its invitation, when it carries one, as a
    ``text/calendar; method=…`` alternative and as an ``.ics`` attachment
    (multipart/mixed)."""
    compose = _composers.get(row.kind)
    if compose is None:
        raise ValueError(f"no composer for mail kind {row.kind!r}")
    composed = compose(row)
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = row.sender
    message["To"] = row.recipient
    message["Date"] = format_datetime(row.created_at or utcnow())
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="eventapp")
    message["Auto-Submitted"] = "auto-generated"
    if composed.reply_to is not None:
        message["Reply-To"] = composed.reply_to
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    invite = composed.invitation
    if invite is not None:
        text = invite.data.decode("utf-8")
        message.add_alternative(text, subtype="calendar", params={"method": invite.method})
        message.add_attachment(
            invite.data, maintype="application", subtype="ics", filename=invite.filename
        )
    message["Content-Language"] = row.language  # after set_content, which drops Content-*
    return message


def claim_lease() -> timedelta:
    """How long a claimed row waits before another sender may take it again: a sender
    killed between its claim and ``sent`` leaves the row to be delivered after it (at least
    once). ``MAIL_CLAIM_LEASE`` in seconds, ten minutes by default."""
    seconds = current_app.config.get("MAIL_CLAIM_LEASE", CLAIM_LEASE.total_seconds())
    return timedelta(seconds=float(seconds))


def _claim(row_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + claim_lease(), pending_key=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


@dataclass
class DeliveryReport:
    """``failed``: still queued, tried again later; ``undeliverable``: marked failed for
    good (see permanent_failure), never tried again."""

    sent: int = 0
    failed: int = 0
    undeliverable: int = 0
    errors: list[str] = field(default_factory=list)


def permanent_failure(error: Exception) -> bool:
    """Whether trying again can never deliver the mail: it cannot be built or encoded
    (ValueError, which UnicodeError is; e.g. a control character in an address; or an
    address with non-ASCII letters for a server without SMTPUTF8), or the server refused
    its recipient for good (5xx)."""
    if isinstance(error, ValueError | smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


def _deliver_rows(row_ids: list[int], now: datetime) -> DeliveryReport:
    report = DeliveryReport()
    for row_id in row_ids:
        if not _claim(row_id, now):
            continue  # another sender has it, or it is not due
        # Held until the outcome is committed: on PostgreSQL another sender's claim waits
        # for it, then finds the row sent. The lease alone would let a host whose clock runs
        # ahead of ours by more than the lease take the row while we send it.
        row = db.session.get(OutboxMessage, row_id, populate_existing=True, with_for_update=True)
        if row is None:
            continue
        try:
            send(row, build_message(row))
        except NothingToSend:  # e.g. a calendar update whose items all left the agenda since
            db.session.delete(row)
            db.session.commit()
            continue
        except (smtplib.SMTPException, OSError, ValueError) as error:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            if permanent_failure(error):
                row.status = OutboxStatus.FAILED
                report.undeliverable += 1
                current_app.logger.error("mail %s failed for good: %s", row.id, row.last_error)
            else:
                row.next_attempt_at = utcnow() + backoff(row.attempts)
                report.failed += 1
                current_app.logger.warning("mail %s not delivered: %s", row.id, row.last_error)
            report.errors.append(f"{row.recipient!r}: {row.last_error}")
        else:
            row.attempts += 1
            row.status = OutboxStatus.SENT
            row.sent_at = utcnow()
            row.last_error = ""
            report.sent += 1
        db.session.commit()
    return report


def deliver_due(now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Delivers every queued message whose time has come (``eventapp mail send``)."""
    now = now or utcnow()
    statement = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    if limit:
        statement = statement.limit(limit)
    row_ids = list(db.session.scalars(statement))
    db.session.commit()
    return _deliver_rows(row_ids, now)


def not_due_yet(now: datetime | None = None) -> tuple[int, datetime | None]:
    """How many queued mails wait for a later time, and the first of those times."""
    now = now or utcnow()
    count, first = db.session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at > now
        )
    ).one()
    db.session.commit()
    return count, first


def deliver_new() -> DeliveryReport:
    """Delivers the messages this session queued and committed, right after the request;
    with ``MAIL_DELIVERY = "worker"`` leaves them to ``eventapp mail send --watch``.

    Never raises for a delivery failure: the row stays queued for ``eventapp mail send``.
    """
    rows = db.session.info.pop(NEW_MESSAGES_KEY, [])
    if current_app.config["MAIL_DELIVERY"] == "worker":
        return DeliveryReport()
    row_ids = [row.id for row in rows if row.id is not None]
    if not row_ids:
        return DeliveryReport()
    try:
        return _deliver_rows(row_ids, utcnow())
    except Exception:  # a database hiccup must not turn a done registration into an error
        db.session.rollback()
        current_app.logger.exception("delivery right after the request failed")
        return DeliveryReport()

"""Outgoing mail: every message is first a row of the outbox, then delivered.

Delivery goes through SMTP (smtplib) when ``MAIL_SERVER`` is set, else each message is
written as an ``.eml`` file to ``OUTBOX_DIR`` (``instance/outbox/``). A failed delivery
leaves the row queued with its error and a later ``next_attempt_at`` (back-off doubling
from one minute up to six hours). A row is claimed by one conditional UPDATE before it is
sent, so that two senders never send it twice.

Who delivers depends on ``MAIL_DELIVERY``:

* ``request`` (the default, for ``eventapp run``): the request that queued a message
  delivers it right after committing, and ``eventapp mail send`` delivers the rest
  (retries, debounced calendar updates);
* ``worker`` (what gunicorn.conf.py sets): requests only queue, and
  ``eventapp mail send --watch`` delivers continuously in its own process. Building a
  mail with its invitation costs more CPU than the registration itself; out of the
  request, a rush of registrations is answered first and the mails follow.
"""

from __future__ import annotations

import os
import secrets
import signal
import smtplib
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import NamedTuple, Protocol

import click
from babel.dates import get_timezone, get_timezone_name
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_sqlalchemy.session import Session
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import joinedload, selectinload

from eventapp.calendar.notify import NothingToSend
from eventapp.extensions import db
from eventapp.models import (
    Event,
    ItemSpeaker,
    OutboxMessage,
    OutboxStatus,
    ProgrammeItem,
    Registration,
)
from eventapp.models.types import utcnow

CLAIM_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
NEW_MESSAGES_KEY = "eventapp.outbox.new"

KINDS = (
    "confirmed", "waitlisted", "promoted", "changed", "cancelled", "already_registered",
    "message",  # written by the organisers (eventapp.admin.mailing): subject and Markdown
    "proceedings",  # the compte-rendu is published
)  # fmt: skip
#: Kinds with templates of their own; the others share mail/registration.*.
TEMPLATES = {"message": "mail/message", "proceedings": "mail/proceedings"}


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    """Messages of a unit of work that was rolled back are not to be delivered."""
    session.info.pop(NEW_MESSAGES_KEY, None)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 1, 2, 4 … min, ≤ 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def _subject(kind: str, event_title: str, written: str = "") -> str:
    subjects = {
        "message": written,
        "confirmed": _("Inscription confirmée : %(event)s", event=event_title),
        "waitlisted": _("Liste d'attente : %(event)s", event=event_title),
        "promoted": _("Une place s'est libérée : %(event)s", event=event_title),
        "changed": _("Inscription modifiée : %(event)s", event=event_title),
        "cancelled": _("Inscription annulée : %(event)s", event=event_title),
        "already_registered": _("Votre lien d'inscription : %(event)s", event=event_title),
        "proceedings": _("Le compte-rendu est publié : %(event)s", event=event_title),
    }
    return " ".join(subjects[kind].split())  # no line breaks in a header


def participant_url(registration: Registration) -> str:
    return f"{current_app.config['BASE_URL']}/r/{registration.token}/"


def enqueue(kind: str, registration: Registration, extra: dict | None = None) -> OutboxMessage:
    """Adds a mail to the session's unit of work; it is delivered once committed (see
    deliver_new and watch_outbox).

    The registration mails are written when they are delivered, from the registration as
    it is then: the request that registers someone renders nothing, and a mail that waited
    (a refusing server, a busy watcher) tells the current waiting-list position. The
    organisers' messages and the compte-rendu notice (kinds with a template of their own)
    are written now: ``extra`` adds to their context (a "message" needs its ``subject`` and
    ``body_md``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    message = queue(kind, registration)
    if kind in TEMPLATES:
        _write(message, registration, extra)
    if kind == "changed":
        from eventapp.calendar.notify import enqueue_withdrawn

        enqueue_withdrawn(registration)  # METHOD:CANCEL for the workshops given up
    return message


class Person(Protocol):
    """Whom a registration mail is for: a Registration, or a batch's new person whose row
    is inserted in bulk (eventapp.registration.service.register_batch)."""

    id: int | None
    email: str
    language: str


def outbox_columns(kind: str, registration: Person, **columns: object) -> dict[str, object]:
    """The columns of a new row for the person, not written yet (see enqueue); ``columns``
    sets others (a calendar mail's ``item_ids``)."""
    return {
        "registration_id": registration.id,
        "kind": kind,
        "recipient": registration.email,
        "sender": current_app.config["MAIL_DEFAULT_SENDER"],
        "subject": "",
        "body_text": "",
        "body_html": "",
        "language": registration.language or "fr",
        "next_attempt_at": utcnow(),
        **columns,
    }


def queue(kind: str, registration: Registration, **columns: object) -> OutboxMessage:
    """A row for the person, not written yet, added to the unit of work and delivered once
    committed; ``columns`` sets others (a calendar mail's ``item_ids``)."""
    message = OutboxMessage(**outbox_columns(kind, registration, **columns))
    db.session.add(message)
    db.session.info.setdefault(NEW_MESSAGES_KEY, []).append(message)
    return message


class _Inserted(NamedTuple):
    """A row inserted by queue_many: deliver_new needs its id only."""

    id: int


#: The kinds queue_many takes: written at delivery, with nothing else to queue alongside.
BULK_KINDS = frozenset(KINDS) - set(TEMPLATES) - {"changed"}


def queue_many(messages: Iterable[tuple[str, Person]]) -> int:
    """Registration mails for many people at once (a batch of new registrations), each
    row as ``enqueue`` would add it, inserted in as few statements as the database allows
    and delivered once committed like the others. Returns the number of rows."""
    rows = []
    for kind, person in messages:
        if kind not in BULK_KINDS:
            raise ValueError(f"mail kind {kind!r} is not queued in bulk")
        rows.append(outbox_columns(kind, person))
    if not rows:
        return 0
    if current_app.config["MAIL_DELIVERY"] == "worker":  # deliver_new will not look for them
        db.session.execute(insert(OutboxMessage), rows)
    else:
        # In the order of the ids (SQLite does not return a multi-row INSERT's in order).
        ids = sorted(db.session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), rows))
        db.session.info.setdefault(NEW_MESSAGES_KEY, []).extend(_Inserted(id_) for id_ in ids)
    return len(rows)


def _write(row: OutboxMessage, registration: Registration, extra: dict | None = None) -> None:
    """Renders a registration mail (or an organisers' message) into the row."""
    from eventapp.registration.service import chosen_items, waiting_for, waitlist_position

    event = registration.event
    starts, ends = day_span(registration)
    context = {
        "items": chosen_items(registration),
        "position": waitlist_position(registration),
        "waiting": waiting_for(registration),
        "starts": starts,
        "ends": ends,
        "zone_name": zone_name,
        "link": participant_url(registration),
        "event_link": f"{current_app.config['BASE_URL']}/events/{event.slug}/",
        **(extra or {}),
    }
    render_into(
        row,
        registration,
        TEMPLATES.get(row.kind, "mail/registration"),
        context,
        lambda: _subject(row.kind, event.title, context.get("subject", "")),
    )


def day_span(registration: Registration) -> tuple[datetime, datetime]:
    """When the person's day starts and ends: from the event's start (doors open) or its
    first item, whichever is earlier, to the end of the event or of its last item; the
    items are the person's agenda (plenaries, breaks, their workshops), cancelled ones
    left out."""
    from eventapp.calendar.notify import person_agenda

    event = registration.event
    agenda = [item for item in person_agenda(registration) if item.cancelled_at is None]
    starts = min([event.starts_at, *(item.starts_at for item in agenda)])
    ends = max([event.ends_at, *(item.ends_at for item in agenda)])
    return starts, ends


def zone_name(tz: str) -> str:
    """The time zone as people name it, in the current language (« heure d’Europe
    centrale »), or its identifier when the CLDR has no name for it."""
    try:
        return get_timezone_name(get_timezone(tz), locale=str(get_locale() or "fr"))
    except (LookupError, ValueError):
        return tz


def render_into(
    row: OutboxMessage,
    registration: Registration,
    stem: str,
    context: dict,
    subject: Callable[[], str],
) -> None:
    """Writes the row's text and HTML bodies (templates ``stem``.txt and .html) and its
    subject, in the registrant's language."""
    env = current_app.jinja_env
    with force_locale(registration.language or "fr"):
        context = {"kind": row.kind, "registration": registration, "event": registration.event,
                   **context}  # fmt: skip
        row.body_text = env.get_template(stem + ".txt").render(context)
        row.body_html = env.get_template(stem + ".html").render(context)
        row.subject = subject()


def _with_programme(registration_id: int | None) -> Registration | None:
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


def build_message(row: OutboxMessage) -> EmailMessage:
    """The outbox row as a multipart/alternative mail (plain text, then HTML), with the
    person's calendar invitation when the kind carries one (eventapp.calendar.notify):
    a ``text/calendar; method=…`` alternative, which mail clients offer to add to the
    calendar, and the same object as an ``.ics`` attachment (multipart/mixed)."""
    from eventapp.calendar.notify import METHODS, invitation_for

    # Held while the mail is built, so that every step finds it (and its programme) loaded;
    # an organisers' message, written already and without invitation, reads neither.
    registration = None
    if row.kind in METHODS or not row.body_text:
        registration = _with_programme(row.registration_id)
    invite = invitation_for(row)  # raises NothingToSend for an update with nothing left
    if not row.body_text:  # a registration mail, written now (see enqueue)
        if registration is None:
            raise NothingToSend(row.kind)
        _write(row, registration)
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = row.sender
    message["To"] = row.recipient
    message["Date"] = format_datetime(row.created_at or utcnow())
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="eventapp")
    message["Auto-Submitted"] = "auto-generated"
    reply_to = _reply_to(row, registration)
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    if invite is not None:
        text = invite.data.decode("utf-8")
        message.add_alternative(text, subtype="calendar", params={"method": invite.method})
        message.add_attachment(
            invite.data, maintype="application", subtype="ics", filename=invite.filename
        )
    message["Content-Language"] = row.language  # after set_content, which drops Content-*
    return message


def _reply_to(row: OutboxMessage, registration: Registration | None) -> Address | None:
    """Where a reply goes: the event's contact address (the sender is the app's, which
    nobody reads), named after the organisers; None when the event has none, or one that
    is not an address."""
    if registration is not None:
        event = registration.event
        found = (event.contact_email, event.organising_body or event.title)
    elif row.registration_id is not None:  # an organisers' message, written already
        found = db.session.execute(
            select(Event.contact_email, Event.organising_body, Event.title)
            .join(Registration, Registration.event_id == Event.id)
            .where(Registration.id == row.registration_id)
        ).first()
        found = (found[0], found[1] or found[2]) if found else None
    else:
        found = None
    if not found or not (found[0] or "").strip():
        return None
    contact, name = found
    try:
        address = Address(display_name=" ".join(name.split()), addr_spec=contact.strip())
    except (ValueError, IndexError, HeaderParseError):
        return None
    if not address.username or not address.domain:
        return None
    return address


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    timeout = float(config.get("MAIL_TIMEOUT", 10))
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def _eml_stem(row_id: int, kind: str, created_at: datetime | None) -> str:
    """The start of the name of the row's .eml file: its time, id and kind."""
    stamp = (created_at or utcnow()).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{row_id:06d}-{kind}-"


def _write_eml(row: OutboxMessage, message: EmailMessage) -> Path:
    folder = Path(current_app.config["OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # A random end: SQLite gives a deleted row's id again, and os.replace would then write
    # over an earlier mail of the same second and kind.
    stem = _eml_stem(row.id, row.kind, row.created_at)
    target = folder / f"{stem}{secrets.token_hex(4)}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(tmp, target)
    return target


class WrittenMail(NamedTuple):
    """What names an outbox row's .eml file (see _write_eml), and whom it went to."""

    id: int
    kind: str
    created_at: datetime | None
    recipient: str


def written_mails(registration_ids: Iterable[int]) -> list[WrittenMail]:
    """The outbox rows of these registrations, as needed to find their .eml files; read
    before the rows are deleted (an erasure), the files removed once that is committed."""
    ids = list(registration_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.created_at, OutboxMessage.recipient
        ).where(OutboxMessage.registration_id.in_(ids))
    )
    return [WrittenMail(*row) for row in rows]


def remove_eml_files(mails: Iterable[WrittenMail]) -> int:
    """Deletes the .eml files written for these rows (an erasure: the mails hold the
    person's name, address and private link); a file already gone, or never written (SMTP
    delivered it, or it is still queued), is fine. Returns how many were removed.

    A file is known by its row's time, id and kind, and by its To header: SQLite gives a
    deleted row's id again, so another person's mail of the same second and kind (an
    earlier row, deleted without its file) may carry the same name but is left alone."""
    folder = Path(current_app.config["OUTBOX_DIR"])
    wanted: dict[str, set[str]] = {}
    for mail in mails:
        stem = _eml_stem(mail.id, mail.kind, mail.created_at)
        wanted.setdefault(stem, set()).add(mail.recipient.casefold())
    if not wanted or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        # the stem, then the random end (8 hex digits) and ".eml"
        recipients = wanted.get(path.name[: -len("0123abcd.eml")])
        if recipients is None:
            continue
        try:
            with path.open("rb") as handle:
                headers = BytesHeaderParser(policy=email_policy.default).parse(handle)
            if str(headers["To"] or "").casefold() not in recipients:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            current_app.logger.warning("mail file %s not removed: %s", path.name, error)
            continue
        removed += 1
    return removed


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
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _deliver_rows(row_ids: list[int], now: datetime) -> DeliveryReport:
    report = DeliveryReport()
    for row_id in row_ids:
        if not _claim(row_id, now):
            continue  # another sender has it, or it is not due
        row = db.session.get(OutboxMessage, row_id, populate_existing=True)
        if row is None:
            continue
        try:
            message = build_message(row)
            if current_app.config.get("MAIL_SERVER"):
                _send_smtp(message)
            else:
                _write_eml(row, message)
        except NothingToSend:  # a calendar update whose items all left the agenda since
            db.session.delete(row)
            db.session.commit()
            continue
        except (smtplib.SMTPException, OSError, ValueError) as error:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.next_attempt_at = utcnow() + backoff(row.attempts)
            report.failed += 1
            report.errors.append(f"{row.recipient}: {row.last_error}")
            current_app.logger.warning("mail %s not delivered: %s", row.id, row.last_error)
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


class _Stop:
    """Set by SIGTERM or SIGINT while watching: the message in hand is finished first."""

    def __init__(self, parent: int | None) -> None:
        self.requested = False
        self.parent = parent
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _Stop:
        for number in (signal.SIGTERM, signal.SIGINT):
            self._previous[number] = signal.signal(number, self._request)
        return self

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _request(self, number, frame) -> None:
        self.requested = True

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested:
            if self.parent is not None and os.getppid() != self.parent:
                self.requested = True  # the server that started us is gone
            elif (left := deadline - time.monotonic()) <= 0:
                return
            else:
                time.sleep(min(0.1, left))


def watch_outbox(interval: float, parent: int | None = None, batch: int = 20) -> None:
    """Delivers what is due, again and again, until SIGTERM/SIGINT (or ``parent`` exits).

    A failure of the database or of the mail server is logged and tried again at the next
    round; the rows stay queued meanwhile.
    """
    click.echo(f"Delivering the outbox every {interval:g} s until stopped.")
    with _Stop(parent) as stop:
        while not stop.requested:
            try:
                report = deliver_due(limit=batch)
            except Exception:  # a database restart must not end the watcher
                current_app.logger.exception("outbox round failed; trying again")
                report = DeliveryReport()
            finally:
                db.session.remove()
            if report.sent or report.failed:
                click.echo(f"{report.sent} mail(s) delivered, {report.failed} still queued.")
            if report.sent + report.failed < batch:  # a full batch: more is waiting now
                stop.wait(interval)


mail_cli = AppGroup("mail", help="The outbox of outgoing mail.")


def _positive(context, parameter, value: float) -> float:
    if value <= 0:
        raise click.BadParameter("must be a number of seconds above 0")
    return value


@mail_cli.command("send")
@click.option("--watch", is_flag=True, help="Keep delivering until stopped (SIGTERM).")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, callback=_positive,
    help="With --watch: seconds between two looks at the outbox.",
)  # fmt: skip
@click.option("--parent", type=int, hidden=True, help="With --watch: stop when this PID exits.")
def send_command(watch: bool, interval: float, parent: int | None) -> None:
    """Deliver every queued mail that is due; failed ones stay queued and are retried."""
    if watch:
        watch_outbox(interval, parent)
        return
    report = deliver_due()
    click.echo(f"{report.sent} mail(s) delivered, {report.failed} still queued.")
    later, first = not_due_yet()
    if later and first is not None:
        click.echo(
            f"{later} more wait(s) for their time (calendar updates gathered for a few "
            f"minutes, or retries after a refusal), the first at {first:%Y-%m-%d %H:%M} UTC; "
            "`eventapp mail send --watch` delivers them when due."
        )
    if report.failed:
        raise click.ClickException(
            f"{report.failed} mail(s) could not be delivered ({report.errors[0]}); "
            "they stay queued and will be retried"
        )

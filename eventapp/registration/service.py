"""Registering, changing, cancelling, erasing, promoting: each one unit of work under the
event's lock (eventapp.registration.locking), committed here."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from eventapp import mail
from eventapp.extensions import db
from eventapp.models import (
    Event,
    OutboxMessage,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.models.types import utcnow
from eventapp.registration.locking import lock_event
from eventapp.registration.rules import (
    Applicant,
    Message,
    RegistrationRefused,
    Taken,
    choice_fields,
    event_is_full,
    fits,
    full_items,
    seats_taken,
)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def email_key(email: str) -> str:
    """The address as compared: one person whatever the case, the Unicode form (é typed as
    one character or as e and an accent) or full-width letters."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)[:254]


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


def _refresh(registration: Registration) -> Registration:
    """The registration as the database has it now that the lock is held."""
    db.session.refresh(registration)
    db.session.refresh(registration.event)
    return registration


def _refresh_capacities(event: Event, items: Iterable[ProgrammeItem]) -> None:
    """Capacities as the database has them under the lock (an organiser may have just
    changed one)."""
    ids = [item.id for item in items]
    if not ids:
        db.session.refresh(event, ["capacity"])
        return
    # The workshops, their rooms (a workshop without its own capacity has its room's) and
    # the event, in one query.
    db.session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.id.in_(ids))
        .options(joinedload(ProgrammeItem.room), joinedload(ProgrammeItem.event))
        .execution_options(populate_existing=True)
    ).all()


def _next_rank(event_id: int) -> int:
    highest = db.session.scalar(
        select(func.max(Registration.waitlist_rank)).where(Registration.event_id == event_id)
    )
    return (highest or 0) + 1


#: Who is told of a change: ``mail.enqueue`` at once, or a list that the batch enqueues
#: once the new rows have their ids.
Notify = Callable[[str, Registration], object]


@dataclass
class Seats:
    """What the rules read under the event's lock, counted once and then kept up to date
    in memory as the unit of work adds, changes and promotes people: the seats taken, the
    next waiting-list rank and (for a batch) the waiting line itself."""

    event_id: int
    taken: Taken
    rank: int | None = None
    waiting: list[Registration] | None = None

    @classmethod
    def counted(cls, event: Event, items: Iterable[ProgrammeItem]) -> Seats:
        """Call it with the lock held: capacities re-read, seats counted."""
        _refresh_capacities(event, items)
        return cls(event.id, seats_taken(event.id))

    def next_rank(self) -> int:
        if self.rank is None:
            self.rank = _next_rank(self.event_id)
        rank, self.rank = self.rank, self.rank + 1
        return rank


def _new_row(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    seats: Seats,
    now: datetime,
    submission_key: str | None = None,
) -> dict[str, Any]:
    """The rule of a new registration (the form's, the API's and the import's): confirmed
    when the event and every picked workshop have a seat, else waitlisted at the end of the
    line. Takes the seats in ``seats``; returns the columns of the new row (the caller
    adds the choices, joins the batch's waiting line, stores and mails)."""
    confirmed = fits(event, items, seats.taken)
    token = new_token()
    if confirmed:
        seats.taken.take(item.id for item in items)
    return {
        "event_id": event.id,
        "token": token,
        "token_lookup": token[:TOKEN_LOOKUP_LENGTH],
        "submission_key": submission_key or None,
        "first_name": applicant.first_name,
        "last_name": applicant.last_name,
        "email": applicant.email,
        "email_key": email_key(applicant.email),
        "organisation": applicant.organisation,
        "job_title": applicant.job_title,
        "language": applicant.language,
        "status": RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        "waitlist_rank": None if confirmed else seats.next_rank(),
        "consent_at": now,
        "confirmed_at": now if confirmed else None,
    }


def _new_registration(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    seats: Seats,
    now: datetime,
    submission_key: str | None = None,
) -> Registration:
    """A new registration by the rule of _new_row, added to the session; the caller
    flushes and mails."""
    row = _new_row(event, applicant, items, seats, now, submission_key)
    registration = Registration(
        event=event, **row, choices=[RegistrationChoice(item=item) for item in items]
    )
    db.session.add(registration)
    return registration


def register(
    event: Event,
    applicant: Applicant,
    items: list[ProgrammeItem],
    submission_key: str | None = None,
    now: datetime | None = None,
) -> RegisterOutcome:
    """Registers a person with one workshop per round: confirmed when the event and every
    picked workshop have a seat, else waitlisted at the end of the line.

    Same address twice: nothing is created, the existing link is mailed to that address.
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
            mail.enqueue("already_registered", same_address)
            outcome = RegisterOutcome(same_address, created=False, token=same_address.token)
            db.session.commit()
            return outcome
        seats = Seats.counted(event, items)
        registration = _new_registration(event, applicant, items, seats, now, submission_key)
        db.session.flush()
        mail.enqueue(registration.status.value, registration)
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


def _waiting_line(event_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlist_rank, Registration.id)
            .options(selectinload(Registration.choices))
            .execution_options(populate_existing=True)
        )
    )


def promote_waitlist(
    event: Event,
    taken: Taken | None = None,
    *,
    waiting: list[Registration] | None = None,
    notify: Notify = mail.enqueue,
) -> list[Registration]:
    """Confirms, first in line first, every waitlisted registration that now fits, and
    queues a mail to each. Call it under the event's lock (the functions here do).

    ``waiting``: the waiting line in order, kept in memory by a batch (the promoted leave
    it); read from the database when not given."""
    taken = taken or seats_taken(event.id)
    promoted: list[Registration] = []
    line = _waiting_line(event.id) if waiting is None else list(waiting)
    for registration in line:
        if event.capacity is not None and taken.event >= event.capacity:
            break
        items = [choice.item for choice in registration.choices]
        if fits(event, items, taken):
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = utcnow()
            taken.take(item.id for item in items)
            notify("promoted", registration)
            promoted.append(registration)
            if waiting is not None:
                waiting.remove(registration)
    if waiting is None:
        db.session.flush()
    return promoted


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
        _refresh(registration)
        if registration.status != RegistrationStatus.WAITLISTED:
            raise RegistrationRefused(
                {"form": _l("Seule une inscription en liste d'attente peut être confirmée.")}
            )
        items = [choice.item for choice in registration.choices]
        _refresh_capacities(event, items)
        taken = seats_taken(event.id)
        if not force and not fits(event, items, taken):
            full = [item.title for item in full_items(event, items, taken)] or [event.title]
            raise RegistrationRefused({"form": _l("Complet : %(names)s.", names=", ".join(full))})
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = utcnow()
        db.session.flush()
        mail.enqueue("promoted", registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


def _change(
    event: Event,
    registration: Registration,
    items: list[ProgrammeItem],
    seats: Seats,
    notify: Notify,
) -> None:
    """The rule of a change of workshops (the participant's page and the import): a
    confirmed person keeps their place only if every new workshop has a seat (else
    RegistrationRefused names the full ones, and ``seats`` is left as it was); a waitlisted
    person keeps their rank and is confirmed as soon as the new picks fit."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationRefused(
            {"form": _l("Cette inscription est annulée : elle ne peut plus changer.")}
        )
    old_ids = [choice.item_id for choice in registration.choices]
    if registration.status == RegistrationStatus.CONFIRMED:
        after = seats.taken.copy()
        after.release(old_ids)
        full = {item.id for item in full_items(event, items, after)}
        if full:
            errors = {
                name: _l("Cet atelier est complet.")
                for name, block in choice_fields(event)
                for item in block.workshops
                if item.id in full
            }
            raise RegistrationRefused(errors)
        after.take(item.id for item in items)
        seats.taken = after
    kept = {choice.item_id: choice for choice in registration.choices}
    registration.choices = [kept.get(item.id) or RegistrationChoice(item=item) for item in items]
    notify("changed", registration)
    promote_waitlist(event, seats.taken, waiting=seats.waiting, notify=notify)


def change_choices(registration: Registration, items: list[ProgrammeItem]) -> Registration:
    """Replaces the workshops picked. A confirmed person keeps their place only if every new
    workshop has a seat (else RegistrationRefused names the full ones); a waitlisted person
    keeps their rank and is confirmed as soon as the new picks fit."""
    event = registration.event
    try:
        lock_event(event.id)
        _refresh(registration)
        _change(event, registration, items, Seats.counted(event, items), mail.enqueue)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


#: Addresses looked up per query when a batch loads the registrations it updates.
LOOKUP_CHUNK = 500


def registrations_by_key(event_id: int, keys: Iterable[str]) -> dict[str, Registration]:
    """The event's registrations of these addresses (``email_key``), with their choices,
    as the database has them now: a fixed number of queries for a file of new people."""
    wanted = set(keys)
    ids = [
        registration_id
        for key, registration_id in db.session.execute(
            select(Registration.email_key, Registration.id).where(
                Registration.event_id == event_id, Registration.email_key.is_not(None)
            )
        )
        if key in wanted
    ]
    found: dict[str, Registration] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        rows = db.session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids[start : start + LOOKUP_CHUNK]))
            .options(selectinload(Registration.choices))
            .execution_options(populate_existing=True)
        )
        found.update({row.email_key: row for row in rows if row.email_key})
    return found


@dataclass
class BatchLine:
    """One person of a batch: who, and the workshops picked (checked by check_choices)."""

    applicant: Applicant
    items: list[ProgrammeItem]


@dataclass
class BatchResult:
    """What became of one line: ``created`` (see the registration's status), ``updated``
    (other workshops), ``unchanged``, ``cancelled`` (the address's registration is
    cancelled: left alone) or ``refused`` (``errors`` says why, as RegistrationRefused)."""

    outcome: str
    registration_id: int | None = None
    errors: dict[str, Message] = field(default_factory=dict)
    #: The registration's status once its line was taken (a later line may still promote
    #: it); read from the registration after the commit, it would load them one by one.
    status: RegistrationStatus | None = None


class _Pick(NamedTuple):
    item: ProgrammeItem


class _NewPerson:
    """A new person of a batch, as the columns of its row until they are inserted in bulk
    (with its id then). It stands for its Registration where the batch needs one: in the
    waiting line kept in memory (promote_waitlist reads its ``choices`` and may confirm it)
    and in the mails queued for it (mail.queue_many)."""

    __slots__ = ("choices", "id", "row")

    def __init__(self, row: dict[str, Any], items: list[ProgrammeItem]) -> None:
        self.row = row
        self.choices = [_Pick(item) for item in items]
        self.id: int | None = None

    @property
    def status(self) -> RegistrationStatus:
        return self.row["status"]

    @status.setter
    def status(self, value: RegistrationStatus) -> None:
        self.row["status"] = value

    @property
    def confirmed_at(self) -> datetime | None:
        return self.row["confirmed_at"]

    @confirmed_at.setter
    def confirmed_at(self, value: datetime | None) -> None:
        self.row["confirmed_at"] = value

    @property
    def email(self) -> str:
        return self.row["email"]

    @property
    def language(self) -> str:
        return self.row["language"]


def register_batch(
    event: Event, lines: Sequence[BatchLine], now: datetime | None = None
) -> list[BatchResult]:
    """Registers many people at once (the CSV import) in ONE unit of work under the event's
    lock: every line is stored, or none (any error rolls the whole batch back).

    A new address is registered by the rule of register() (confirmed when the event and
    every picked workshop have a seat, else waitlisted at the end of the line, in the order
    of ``lines``); a known address gets its workshops changed by the rule of
    change_choices(). Seats are counted once and then kept up to date in memory; the mails
    are queued per person as by those functions. The addresses must be distinct.

    The new people's rows, their choices and their mails are inserted in bulk (a few
    statements per table, whatever the number of lines); the known addresses, few, go
    through the ORM.
    """
    now = now or utcnow()
    keys = [email_key(line.applicant.email) for line in lines]
    if len(set(keys)) != len(keys):
        raise ValueError("register_batch() takes each address once")
    pending: list[tuple[str, Registration | _NewPerson]] = []

    def notify(kind: str, registration: Registration | _NewPerson) -> None:
        pending.append((kind, registration))  # queued once the new rows have their ids

    results: list[BatchResult] = []
    created: list[tuple[_NewPerson, BatchResult]] = []
    try:
        lock_event(event.id)
        existing = registrations_by_key(event.id, keys)
        picked = {item.id: item for line in lines for item in line.items}
        seats = Seats.counted(event, picked.values())
        if existing:
            seats.waiting = _waiting_line(event.id)
        with db.session.no_autoflush:  # one flush at the end, not one per query
            for line, key in zip(lines, keys, strict=True):
                found = existing.get(key)
                if found is None:
                    person = _new_person(event, line, seats, now)
                    notify(person.status.value, person)
                    result = BatchResult("created", status=person.status)
                    created.append((person, result))
                else:
                    result = _batch_line(event, line, found, seats, notify)
                results.append(result)
            _prepare_new_rows()
        db.session.flush()  # the known addresses' changes
        _insert_new(event.id, [person for person, _result in created])
        with db.session.no_autoflush:
            for kind, registration in pending:
                if isinstance(registration, Registration):
                    mail.enqueue(kind, registration)
            _prepare_new_rows()
        mail.queue_many(
            (kind, person) for kind, person in pending if isinstance(person, _NewPerson)
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for person, result in created:
        result.registration_id = person.id
    return results


def _new_person(event: Event, line: BatchLine, seats: Seats, now: datetime) -> _NewPerson:
    """A new address of the batch, by the rule of register(); a waitlisted one joins the
    batch's waiting line (when it keeps one: known addresses may free seats)."""
    person = _NewPerson(_new_row(event, line.applicant, line.items, seats, now), line.items)
    if person.status == RegistrationStatus.WAITLISTED and seats.waiting is not None:
        seats.waiting.append(person)  # type: ignore[arg-type]  # stands for its Registration
    return person


def _insert_new(event_id: int, people: list[_NewPerson]) -> None:
    """The new people's rows, then their choices, each table in one executemany (not a
    statement a row). The ids are then read back by address, unique in the event: asked
    for the rows' order, an INSERT … RETURNING would insert one row a statement on SQLite,
    and on PostgreSQL it took nearly twice as long (the driver parses the long statement)."""
    if not people:
        return
    # render_nulls: the rows left without a rank or a confirmation date stay in the same
    # statement as the others (the ORM would start a new one at each change of columns).
    db.session.execute(
        insert(Registration),
        [person.row for person in people],
        execution_options={"render_nulls": True},
    )
    by_key = {person.row["email_key"]: person for person in people}
    for key, registration_id in db.session.execute(
        select(Registration.email_key, Registration.id).where(Registration.event_id == event_id)
    ):
        if (person := by_key.get(key)) is not None:
            person.id = registration_id
    choices = [
        {"registration_id": person.id, "item_id": pick.item.id}
        for person in people
        for pick in person.choices
    ]
    if choices:
        db.session.execute(insert(RegistrationChoice), choices)


def _batch_line(
    event: Event,
    line: BatchLine,
    found: Registration,
    seats: Seats,
    notify: Notify,
) -> BatchResult:
    """A line of a known address."""
    if found.status == RegistrationStatus.CANCELLED:
        return BatchResult("cancelled", found.id, status=found.status)
    if {choice.item_id for choice in found.choices} == {item.id for item in line.items}:
        return BatchResult("unchanged", found.id, status=found.status)
    try:
        _change(event, found, line.items, seats, notify)
    except RegistrationRefused as refused:
        return BatchResult("refused", found.id, refused.errors, status=found.status)
    return BatchResult("updated", found.id, status=found.status)


def _prepare_new_rows() -> None:
    """Lets the flush insert each table's new rows (the known addresses' new choices and
    mails) in as few statements as it can.

    The ORM starts a new INSERT whenever a row has other columns than the one before: the
    columns left to a constant default get it now. (PostgreSQL then takes each table's rows
    in one INSERT; SQLite, which cannot say which id each row of a multi-row INSERT got,
    still has one INSERT a row, inside the same transaction.)"""
    new: dict[type, list] = {}
    for row in db.session.new:
        if getattr(row, "id", 0) is None:
            new.setdefault(type(row), []).append(row)
    for model, rows in new.items():
        constants = {
            attribute.key: default.arg
            for attribute in sa_inspect(model).column_attrs
            if (default := attribute.columns[0].default) is not None and default.is_scalar
        }
        for row in rows:
            present = sa_inspect(row).dict
            for key, value in constants.items():
                if key not in present:
                    setattr(row, key, value)


def cancel(registration: Registration) -> Registration:
    """Cancels; the seats go to the first in line who fits, told by mail."""
    event = registration.event
    try:
        lock_event(event.id)
        _refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED:
            registration.status = RegistrationStatus.CANCELLED
            registration.cancelled_at = utcnow()
            db.session.flush()
            mail.enqueue("cancelled", registration)
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
        _refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED or registration.erased_at:
            db.session.commit()
            return registration
        items = [choice.item for choice in registration.choices]
        if any(item.cancelled_at for item in items):
            raise RegistrationRefused(
                {"form": _l("Un de vos ateliers a été supprimé : choisissez-en un autre.")}
            )
        _refresh_capacities(event, items)
        now = utcnow()
        confirmed = fits(event, items, seats_taken(event.id))
        registration.cancelled_at = None
        if confirmed:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
        else:
            registration.status = RegistrationStatus.WAITLISTED
            registration.waitlist_rank = _next_rank(event.id)
        db.session.flush()
        mail.enqueue("confirmed" if confirmed else "waitlisted", registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return registration


RETENTION = timedelta(days=365)


def _anonymise(registration: Registration, now: datetime) -> None:
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
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    )


def erase(registration: Registration) -> None:
    """Anonymises the registration: personal data and mails gone (their outbox rows, and
    the .eml files written for them when mail goes to files), the link dead, the seat
    freed; the row and its workshop choices stay so that the counts stay true."""
    event = registration.event
    try:
        lock_event(event.id)
        _refresh(registration)
        written = mail.written_mails([registration.id])
        _anonymise(registration, utcnow())
        db.session.flush()
        promote_waitlist(event)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mail.remove_eml_files(written)  # once the erasure holds: a rolled back one keeps them


def erase_expired(now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Anonymises every registration of the events that ended more than ``retention`` ago
    (what the consent text promises), their mails' .eml files included; returns how many.
    Nobody is promoted or mailed."""
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
                _anonymise(registration, now)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        mail.remove_eml_files(written)
        erased += len(rows)
    return erased


def find_by_token(token: str) -> Registration | None:
    """The registration whose link carries this token; compared in constant time."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    candidates = db.session.scalars(
        select(Registration).where(Registration.token_lookup == token[:TOKEN_LOOKUP_LENGTH])
    ).all()
    found = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.token.encode(), token.encode()):
            found = candidate
    return found


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlist_rank is None:
        return None
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_rank <= registration.waitlist_rank,
        )
    )


@dataclass
class Waiting:
    """Why a waitlisted registration waits: the event is full, or these chosen workshops
    are (both may hold). Empty when nothing is full any more (a seat was freed and the
    next promotion has not run yet)."""

    event_full: bool
    items: list[ProgrammeItem]


def waiting_for(registration: Registration) -> Waiting | None:
    """What keeps a waitlisted registration waiting, counted now; None when it is not
    waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    event = registration.event
    taken = seats_taken(event.id)
    return Waiting(
        event_full=event_is_full(event, taken),
        items=full_items(event, chosen_items(registration), taken),
    )


def chosen_items(registration: Registration) -> list[ProgrammeItem]:
    return sorted((choice.item for choice in registration.choices), key=lambda item: item.starts_at)


def export_data(registration: Registration) -> dict:
    """Everything stored about the person (GDPR export), as JSON-ready data."""

    def iso(instant: datetime | None) -> str | None:
        return instant.isoformat() if instant else None

    return {
        "status": registration.status.value,
        "waitlist_position": waitlist_position(registration),
        "event": registration.event.slug,
        "event_title": registration.event.title,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "language": registration.language,
        "registered_at": iso(registration.created_at),
        "consent_at": iso(registration.consent_at),
        "confirmed_at": iso(registration.confirmed_at),
        "cancelled_at": iso(registration.cancelled_at),
        "choices": [
            {
                "item_id": item.id,
                "title": item.title,
                "start": iso(item.starts_at),
                "end": iso(item.ends_at),
                "room": item.room.name if item.room else None,
            }
            for item in chosen_items(registration)
        ],
    }

"""Registering many people at once (the CSV import): one unit of work under the event's
lock, by the same rules as one person (eventapp.registration.seating), with the new rows,
their choices and their mails inserted in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import selectinload

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
from eventapp.registration.locking import lock_event
from eventapp.registration.rules import Applicant, Message, RegistrationRefused
from eventapp.registration.seating import (
    Notify,
    Seats,
    apply_change,
    email_key,
    new_row,
    waiting_line,
)

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
    and in the mails queued for it (mails.queue_many)."""

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
            seats.waiting = waiting_line(event.id)
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
                    mails.enqueue(kind, registration)
            _prepare_new_rows()
        mails.queue_many(
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
    person = _NewPerson(new_row(event, line.applicant, line.items, seats, now), line.items)
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
        apply_change(event, found, line.items, seats, notify)
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

"""An event's registrations as rows: for the organisers' CSV export and the API.

``registration_rows(event)`` builds plain, JSON-ready rows (no request, no formatting);
``registrations_csv(event)`` writes them as a spreadsheet file: UTF-8 with a byte order
mark (so Excel reads the accents right), semicolons (the list separator of French and
Dutch Excel), and every cell that a spreadsheet would take for a formula neutralised.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import subqueryload

from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.registration.rules import choice_fields

#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def event_registrations(event: Event, *, include_erased: bool = False) -> list[Registration]:
    """Every registration of the event with its choices, oldest first (two queries,
    however many people: selectin loading would add one query per 500 registrations)."""
    statement = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(subqueryload(Registration.choices))
        .order_by(Registration.created_at, Registration.id)
    )
    if not include_erased:
        statement = statement.where(Registration.erased_at.is_(None))
    return list(db.session.scalars(statement))


def waitlist_positions(registrations: list[Registration]) -> dict[int, int]:
    """1 for the first in line, by registration id (all of one event's registrations)."""
    waiting = sorted(
        (r for r in registrations if r.status == RegistrationStatus.WAITLISTED),
        key=lambda r: (r.waitlist_rank or 0, r.id),
    )
    return {registration.id: number for number, registration in enumerate(waiting, 1)}


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


_ROW_COLUMNS = (
    Registration.id,
    Registration.status,
    Registration.waitlist_rank,
    Registration.first_name,
    Registration.last_name,
    Registration.email,
    Registration.organisation,
    Registration.job_title,
    Registration.language,
    Registration.created_at,
    Registration.confirmed_at,
    Registration.cancelled_at,
    Registration.checked_in_at,
)


def registration_rows(event: Event, items: list[ProgrammeItem] | None = None) -> list[dict]:
    """One dict per registration (erased ones left out), oldest first.

    Keys: id, status, waitlist_position, first_name, last_name, email, organisation,
    job_title, language, registered_at, confirmed_at, cancelled_at, checked_in_at (ISO 8601
    or None) and ``choices``: one ``{"round", "item_id", "title"}`` per round of the
    programme (item_id and title None when nothing is picked in that round).

    Read as columns in two queries (the people, then their choices), not as ORM objects:
    an export of 5,000 people builds no Registration and no RegistrationChoice. ``items``:
    the event's items (or eventapp.programme.programme_entries), ``event.items`` if None.
    """
    current = (Registration.event_id == event.id) & Registration.erased_at.is_(None)
    people = db.session.execute(
        select(*_ROW_COLUMNS).where(current).order_by(Registration.created_at, Registration.id)
    ).all()
    picked_ids: dict[int, list[int]] = {}
    for registration_id, item_id in db.session.execute(
        select(RegistrationChoice.registration_id, RegistrationChoice.item_id)
        .join(Registration, Registration.id == RegistrationChoice.registration_id)
        .where(current)
        .order_by(RegistrationChoice.id)
    ):
        picked_ids.setdefault(registration_id, []).append(item_id)
    waiting = sorted(
        (person for person in people if person.status == RegistrationStatus.WAITLISTED),
        key=lambda person: (person.waitlist_rank or 0, person.id),
    )
    positions = {person.id: number for number, person in enumerate(waiting, 1)}
    rounds = choice_fields(event, items)
    round_of = {
        item.id: (number, item)
        for number, (_name, block) in enumerate(rounds, 1)
        for item in block.workshops
    }
    # Each workshop's title in the interface's language (the export says which), else the
    # first: looked up once per workshop, not once per cell.
    lang = str(get_locale())
    titles = {item_id: item.text("title", lang) for item_id, (_n, item) in round_of.items()}
    numbers = range(1, len(rounds) + 1)
    rows = []
    for person in people:
        picked = dict(
            round_of[item_id] for item_id in picked_ids.get(person.id, ()) if item_id in round_of
        )
        choices = []
        for number in numbers:
            item = picked.get(number)
            choices.append(
                {
                    "round": number,
                    "item_id": item.id if item else None,
                    "title": titles[item.id] if item else None,
                }
            )
        rows.append(
            {
                "id": person.id,
                "status": person.status.value,
                "waitlist_position": positions.get(person.id),
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "organisation": person.organisation,
                "job_title": person.job_title,
                "language": person.language,
                "registered_at": _iso(person.created_at),
                "confirmed_at": _iso(person.confirmed_at),
                "cancelled_at": _iso(person.cancelled_at),
                "checked_in_at": _iso(person.checked_in_at),
                "choices": choices,
            }
        )
    return rows


def neutralise(value: object) -> str:
    """The cell as text, prefixed with an apostrophe when a spreadsheet would run it
    (CSV injection); used by every spreadsheet export (see eventapp.interop.spreadsheets)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _status_label(status: str) -> str:
    return {
        "confirmed": _("confirmée"),
        "waitlisted": _("liste d'attente"),
        "cancelled": _("annulée"),
        "pending": _("en attente de l'attribution"),
    }[status]


def _local(zone: tzinfo, iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def registrations_csv(event: Event, items: list[ProgrammeItem] | None = None) -> bytes:
    """The registrations as a CSV file for spreadsheets (see the module's docstring).
    ``items``: as :func:`registration_rows`."""
    rows = registration_rows(event, items)
    rounds = len(rows[0]["choices"]) if rows else len(choice_fields(event, items))
    header = [
        _("Nom"),
        _("Prénom"),
        _("Adresse e-mail"),
        _("Organisation"),
        _("Fonction"),
        _("Statut"),
        _("Position en liste d'attente"),
        *[_("Atelier, créneau %(number)s", number=n) for n in range(1, rounds + 1)],
        _("Inscrit le"),
        _("Présent"),
    ]
    statuses = {status.value: _status_label(status.value) for status in RegistrationStatus}
    present = _("oui")
    zone = event.tz
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            neutralise(cell)
            for cell in [
                row["last_name"],
                row["first_name"],
                row["email"],
                row["organisation"],
                row["job_title"],
                statuses[row["status"]],
                row["waitlist_position"],
                *[choice["title"] for choice in row["choices"]],
                _local(zone, row["registered_at"]),
                present if row["checked_in_at"] else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")

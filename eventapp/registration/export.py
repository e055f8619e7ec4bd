"""An event's registrations as rows: for the organisers' CSV export and the API.

``registration_rows(event)`` builds plain, JSON-ready rows (no request, no formatting);
``registrations_csv(event)`` writes them as a spreadsheet file: UTF-8 with a byte order
mark (so Excel reads the accents right), semicolons (the list separator of French and
Dutch Excel), and every cell that a spreadsheet would take for a formula neutralised.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
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
from eventapp.programme import theme_key, theme_owner
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
    Registration.preferences,
)


@dataclass
class _Export:
    """What both exports read: the people (column rows, oldest first), their place in the
    waiting line, and for each one the workshop picked in each round."""

    people: list
    positions: dict[int, int]
    rounds: int
    blocks: list
    round_of: dict[int, tuple[int, ProgrammeItem]]
    picked_ids: dict[int, list[int]]

    def picked(self, registration_id: int) -> dict[int, ProgrammeItem]:
        """Round number → workshop."""
        round_of = self.round_of
        return dict(
            round_of[item_id]
            for item_id in self.picked_ids.get(registration_id, ())
            if item_id in round_of
        )


def _export(event: Event, items: list[ProgrammeItem] | None) -> _Export:
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
    rounds = choice_fields(event, items)
    round_of = {
        item.id: (number, item)
        for number, (_name, block) in enumerate(rounds, 1)
        for item in block.workshops
    }
    return _Export(
        people=people,
        positions={person.id: number for number, person in enumerate(waiting, 1)},
        rounds=len(rounds),
        blocks=rounds,
        round_of=round_of,
        picked_ids=picked_ids,
    )


def _titles(export: _Export) -> dict[int, str]:
    """Each workshop's title in the interface's language (the export says which), else the
    first: looked up once per workshop, not once per cell."""
    lang = str(get_locale())
    return {item_id: item.text("title", lang) for item_id, (_n, item) in export.round_of.items()}


def registration_rows(event: Event, items: list[ProgrammeItem] | None = None) -> list[dict]:
    """One dict per registration (erased ones left out), oldest first.

    Keys: id, status, waitlist_position, first_name, last_name, email, organisation,
    job_title, language, registered_at, confirmed_at, cancelled_at, checked_in_at (ISO 8601
    or None), ``choices``: one ``{"round", "item_id", "title"}`` per round of the
    programme (item_id and title None when nothing is picked in that round), and
    ``preferences``: the theme keys ranked, best first (empty on a first-come event).

    Read as columns in two queries (the people, then their choices), not as ORM objects:
    an export of 5,000 people builds no Registration and no RegistrationChoice. ``items``:
    the event's items (or eventapp.programme.programme_entries), ``event.items`` if None.
    """
    export = _export(event, items)
    titles = _titles(export)
    numbers = range(1, export.rounds + 1)
    rows = []
    for person in export.people:
        picked = export.picked(person.id)
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
                "waitlist_position": export.positions.get(person.id),
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
                "preferences": list(person.preferences or ()),
            }
        )
    return rows


def theme_titles(event: Event, lang: str, blocks: list | None = None) -> dict[str, str]:
    """Each theme key the rounds offer → its title in ``lang`` (else the first language):
    the theme's, or the workshop's own for a workshop without a theme. ``blocks``: the
    event's choice_fields when the caller has them already."""
    titles: dict[str, str] = {}
    for _name, block in blocks if blocks is not None else choice_fields(event):
        for item in block.workshops:
            owner = theme_owner(item)
            titles.setdefault(theme_key(item), str(owner.text("title", lang)))
    return titles


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


def _local(zone: tzinfo, instant: datetime | None) -> str:
    if not instant:
        return ""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def registrations_csv(event: Event, items: list[ProgrammeItem] | None = None) -> bytes:
    """The registrations as a CSV file for spreadsheets (see the module's docstring): the
    cells of :func:`registration_rows`, written from the same reading without building its
    dicts (a large programme has dozens of rounds: 5,000 people make 250,000 cells).
    ``items``: as :func:`registration_rows`."""
    export = _export(event, items)
    rounds = export.rounds
    # A preferences event: one column per rank, the theme's title (the import reads it back).
    ranks = max((len(person.preferences or ()) for person in export.people), default=0)
    themes = (
        {
            key: neutralise(title)
            for key, title in theme_titles(event, str(get_locale()), export.blocks).items()
        }
        if ranks
        else {}
    )
    header = [
        _("Nom"),
        _("Prénom"),
        _("Adresse e-mail"),
        _("Organisation"),
        _("Fonction"),
        _("Statut"),
        _("Position en liste d'attente"),
        *[_("Atelier, créneau %(number)s", number=n) for n in range(1, rounds + 1)],
        *[_("Choix n° %(rank)s", rank=n) for n in range(1, ranks + 1)],
        _("Inscrit le"),
        _("Présent"),
    ]
    statuses = {status: neutralise(_status_label(status.value)) for status in RegistrationStatus}
    present = neutralise(_("oui"))
    titles = {item_id: neutralise(title) for item_id, title in _titles(export).items()}
    zone = event.tz
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for person in export.people:
        workshops = [""] * rounds
        for number, item in export.picked(person.id).items():
            workshops[number - 1] = titles[item.id]
        writer.writerow(
            [
                neutralise(person.last_name),
                neutralise(person.first_name),
                neutralise(person.email),
                neutralise(person.organisation),
                neutralise(person.job_title),
                statuses[person.status],
                neutralise(export.positions.get(person.id)),
                *workshops,
                *[
                    themes.get(key, neutralise(key))
                    for key in (list(person.preferences or ()) + [""] * ranks)[:ranks]
                ],
                neutralise(_local(zone, person.created_at)),
                present if person.checked_in_at else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")

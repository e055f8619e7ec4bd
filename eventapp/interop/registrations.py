"""Registrations in and out: CSV / XLSX writers over plain rows, and the CSV import.

The writers take rows as plain dicts, built by ``eventapp.registration.export`` (the one row
builder of the organisers' list, their CSV and the API), so that one writer serves every export.
The import checks a CSV line by line, then stores every accepted line through the
registration service's register_batch: one unit of work under the event's lock, with the
same rules as the form for capacity, waiting list, workshop rounds and mails, so that a file
is stored as a whole or, if the import stops at an error, not at all.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from eventapp.extensions import db
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.programme import Block
from eventapp.registration import Applicant
from eventapp.registration.batch import (
    LOOKUP_CHUNK,
    BatchLine,
    BatchResult,
    register_batch,
    registrations_by_key,
)
from eventapp.registration.export import FORMULA_STARTS, neutralise, registration_rows
from eventapp.registration.rules import (
    NO_MARKUP,
    Taken,
    check_choices,
    choice_fields,
    event_is_full,
    full_items,
    seats_taken,
)
from eventapp.registration.seating import email_key

CSV_MAX_BYTES = 5 * 1024 * 1024


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    return list(rows[0].keys()) if rows else []


def _cell(value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = "; ".join(str(part) for part in value)
    return neutralise(value)


def rows_to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """UTF-8 with a BOM (so that Excel reads the accents), one header line, formulas
    neutralised."""
    names = _columns(rows, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in names])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rows_to_xlsx(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    title: str = "Inscriptions",
) -> bytes:
    """One worksheet, a bold header line; text cells are stored as text, never formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    names = _columns(rows, columns)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(name)) for name in names])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORT_COLUMNS = (
    "id", "first_name", "last_name", "email", "organisation", "job_title", "status",
    "waitlist_position", "workshops", "registered_at", "checked_in_at",
)  # fmt: skip


def export_rows(event: Event) -> list[dict]:
    """The organisers' rows (eventapp.registration.export) with the workshops as one list,
    times in the event's time zone: what the CSV and XLSX writers above take."""
    rows = []
    for row in registration_rows(event):
        local = {
            name: event.local(datetime.fromisoformat(row[name])).isoformat() if row[name] else ""
            for name in ("registered_at", "checked_in_at")
        }
        workshops = [choice["title"] for choice in row["choices"] if choice["title"]]
        rows.append({**row, **local, "workshops": workshops})
    return rows


# --- import ----------------------------------------------------------------------------
#
# The file: the import's own columns (first_name, last_name, email, organisation, job_title,
# workshops: item ids), or the organisers' export as it comes out of a spreadsheet
# (eventapp.registration.export.registrations_csv: its headers in French, Dutch or English,
# one column per round holding the workshop's title), or the API's CSV (export_rows above).
# The separator (",", ";" or a tab) is the one under which the header line reads best; a
# UTF-8 byte order mark is read past. Every message is French through Flask-Babel, so that
# the organiser reads it in their language on the page and at the command line.

PERSON_FIELDS = ("first_name", "last_name", "email", "organisation", "job_title")
REQUIRED = ("first_name", "last_name", "email")
LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "organisation": 200, "job_title": 200}
#: Columns of the exports read past: the API's CSV (EXPORT_COLUMNS) ...
IGNORED = ("id", "waitlist_position", "registered_at", "checked_in_at")
SEPARATORS = (",", ";", "\t")
#: The round columns' header is found whatever the number this stands for.
ROUND_SENTINEL = "987654321"
#: Characters of a cell quoted in a message.
SHOWN = 80
#: A "workshops" cell of item ids (else: titles separated by semicolons, as the API writes).
IDS = re.compile(r"[\d\s;,]*")


class RegistrationImportError(ValueError):
    """The file as a whole cannot be read (encoding, header); one line for the user."""


def _norm(text: str) -> str:
    """A header or a title as compared: case, Unicode form and spacing left aside."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _shown(value: str) -> str:
    value = NO_MARKUP.sub(" ", value)
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def _label(column: str) -> str:
    """A column as the organisers' export names it, in the current language."""
    if column.startswith("workshop_"):
        return _("Atelier, créneau %(number)s", number=column.removeprefix("workshop_"))
    labels = {
        "first_name": _("Prénom"),
        "last_name": _("Nom"),
        "email": _("Adresse e-mail"),
        "organisation": _("Organisation"),
        "job_title": _("Fonction"),
        "status": _("Statut"),
        "workshops": _("Ateliers"),
    }
    return labels.get(column, column)


def _named(column: str) -> str:
    """A column in a message about the header: its own name and the export's."""
    label = _label(column)
    return column if label == column else f"{column} ({label})"


def _problem(column: str, message: str) -> str:
    return _("%(field)s : %(message)s", field=_label(column), message=message)


def _export_headers() -> dict[str, str]:
    """The header of registrations_csv (eventapp.registration.export) in the current
    language → the column it fills ("" : read past)."""
    return {
        _("Nom"): "last_name",
        _("Prénom"): "first_name",
        _("Adresse e-mail"): "email",
        _("Organisation"): "organisation",
        _("Fonction"): "job_title",
        _("Statut"): "status",
        _("Position en liste d'attente"): "",
        _("Inscrit le"): "",
        _("Présent"): "",
    }


@dataclass
class _Header:
    """The header names the import knows, in every language of the application."""

    names: dict[str, str]
    rounds: list[re.Pattern[str]]
    cancelled: set[str]

    @classmethod
    def known(cls) -> _Header:
        names = {name: name for name in (*PERSON_FIELDS, "workshops", "status")}
        names.update({name: "" for name in IGNORED})
        rounds = [re.compile(r"workshop_(\d+)")]
        cancelled = {_norm(RegistrationStatus.CANCELLED.value)}
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                for text, column in _export_headers().items():
                    names.setdefault(_norm(text), column)
                title = _norm(_("Atelier, créneau %(number)s", number=ROUND_SENTINEL))
                rounds.append(re.compile(re.escape(title).replace(ROUND_SENTINEL, r"(\d+)")))
                cancelled.add(_norm(_("annulée")))
        return cls(names, rounds, cancelled)

    def column(self, cell: str) -> str | None:
        """The column a header cell names ("" : read past), None if unknown."""
        key = _norm(cell)
        if key in self.names:
            return self.names[key]
        for pattern in self.rounds:
            if match := pattern.fullmatch(key):
                return f"workshop_{int(match.group(1))}"
        return None


@dataclass
class _Table:
    columns: list[str]  # per position: the column ("" : read past)
    rows: list[tuple[int, dict[str, str]]]  # (line number, column → value)


def _decode(data: bytes) -> str:
    if len(data) > CSV_MAX_BYTES:
        raise RegistrationImportError(
            _("le fichier dépasse %(size)s Mo", size=CSV_MAX_BYTES // (1024 * 1024))
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegistrationImportError(
            _(
                "ce n'est pas du texte UTF-8 (octet %(position)s) : enregistrez le fichier "
                "au format « CSV UTF-8 »",
                position=error.start,
            )
        ) from error


def _csv_problem(error: csv.Error) -> str:
    """The csv module's complaint, in words an organiser can act on."""
    if "field larger than field limit" in str(error):
        return _("un champ dépasse la limite de %(limit)s caractères", limit=csv.field_size_limit())
    return _("le fichier n'est pas un CSV lisible (%(detail)s)", detail=str(error))


def _line_error(number: int, error: csv.Error) -> RegistrationImportError:
    return RegistrationImportError(
        _("ligne %(number)s : %(problem)s", number=number, problem=_csv_problem(error))
    )


def _header_cells(text: str, separator: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text), delimiter=separator), [])
    except csv.Error as error:
        raise _line_error(1, error) from error


def _separator(text: str, header: _Header) -> str:
    """The separator under which the header line names the most known columns."""
    best, best_score = SEPARATORS[0], (-1, -1)
    for separator in SEPARATORS:
        cells = _header_cells(text, separator)
        score = (sum(1 for cell in cells if header.column(cell) is not None), len(cells))
        if score > best_score:
            best, best_score = separator, score
    return best


def _unneutralised(value: str) -> str:
    """A cell as it was before the export neutralised it for spreadsheets ("'=…")."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _header_columns(cells: Sequence[str], header: _Header) -> list[str]:
    columns: list[str] = []
    unknown: list[str] = []
    for cell in cells:
        column = header.column(cell)
        if column is None:
            if cell.strip():
                unknown.append(_shown(cell.strip()))
            column = ""
        columns.append(column)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RegistrationImportError(
            ngettext(
                "la ligne d'en-tête n'a pas la colonne %(columns)s",
                "la ligne d'en-tête n'a pas les colonnes %(columns)s",
                len(missing),
                columns=", ".join(_named(name) for name in missing),
            )
        )
    if unknown:
        raise RegistrationImportError(
            ngettext(
                "colonne inconnue : %(columns)s",
                "colonnes inconnues : %(columns)s",
                len(unknown),
                columns=", ".join(unknown),
            )
        )
    named = [column for column in columns if column]
    twice = sorted({column for column in named if named.count(column) > 1})
    if twice:
        raise RegistrationImportError(
            ngettext(
                "la ligne d'en-tête nomme la colonne %(columns)s plus d'une fois",
                "la ligne d'en-tête nomme les colonnes %(columns)s plus d'une fois",
                len(twice),
                columns=", ".join(_named(name) for name in twice),
            )
        )
    return columns


def _read_csv(data: bytes, header: _Header) -> _Table:
    text = _decode(data)
    separator = _separator(text, header)
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    columns = _header_columns(_header_cells(text, separator), header)
    next(reader, None)
    rows: list[tuple[int, dict[str, str]]] = []
    number = 1  # the spreadsheet's row numbers: the header is row 1
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            row = {
                column: _unneutralised(cell.strip())
                # cells past the header are read past
                for column, cell in zip(columns, cells, strict=False)
                if column
            }
            rows.append((number, row))
    except csv.Error as error:
        raise _line_error(number + 1, error) from error
    return _Table(columns, rows)


def _check_person(row: Mapping[str, str]) -> tuple[Applicant | None, list[str]]:
    problems = []
    for name in PERSON_FIELDS:
        value = row.get(name, "")
        if not value:
            if name in REQUIRED:
                problems.append(_problem(name, _("Ce champ est obligatoire.")))
            continue
        if len(value) > LIMITS[name]:
            problems.append(
                _problem(
                    name, _("Texte trop long : %(count)s caractères au plus.", count=LIMITS[name])
                )
            )
        elif name == "email":
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError:  # its English reason is not shown: ours is
                problems.append(_problem(name, _("Cette adresse e-mail n'est pas valide.")))
        elif NO_MARKUP.search(value):
            problems.append(
                _problem(name, _("Les caractères < et > et les retours à la ligne sont refusés."))
            )
    if problems:
        return None, problems
    return Applicant(
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        organisation=row.get("organisation", ""),
        job_title=row.get("job_title", ""),
        language="fr",
    ), []


def _round_index(fields: Sequence[tuple[str, Block]]) -> dict[str, str]:
    """Each workshop's id (as text) → the form field name of its round."""
    return {str(item.id): name for name, block in fields for item in block.workshops}


def workshop_picks(
    event: Event, ids: Iterable[object], rounds: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Item ids given as a flat list, put in the round each belongs to (for check_choices;
    the API's, whose messages are English). ``rounds``: the event's _round_index."""
    round_of = _round_index(choice_fields(event)) if rounds is None else rounds
    picks: dict[str, str] = {}
    problems: list[str] = []
    for raw in ids:
        text = str(raw).strip()
        name = round_of.get(text)
        if name is None:
            problems.append(f"workshop {text}: not a workshop of this event")
        elif name in picks:
            problems.append(f"workshop {text}: a second pick for the same round")
        else:
            picks[name] = text
    return picks, problems


@dataclass
class _Workshops:
    """The event's workshops by id and by title, each with the field name of its round."""

    fields: list[tuple[str, Block]]
    by_id: dict[str, tuple[str, ProgrammeItem]]
    by_title: dict[str, list[tuple[str, ProgrammeItem]]]

    @classmethod
    def of(cls, event: Event) -> _Workshops:
        fields = choice_fields(event)
        by_id: dict[str, tuple[str, ProgrammeItem]] = {}
        by_title: dict[str, list[tuple[str, ProgrammeItem]]] = {}
        for name, block in fields:
            for item in block.workshops:
                by_id[str(item.id)] = (name, item)
                by_title.setdefault(_norm(item.title), []).append((name, item))
        return cls(fields, by_id, by_title)

    def find(
        self, value: str, column: str, picks: Mapping[str, str]
    ) -> tuple[str, ProgrammeItem] | None:
        """The workshop a cell names, by id or by title. A title given in several rounds
        (the same workshop twice in the day) is taken in the column's own round, else in
        the first round not picked yet."""
        if value in self.by_id:
            return self.by_id[value]
        found = self.by_title.get(_norm(value), [])
        for pick in found:
            if pick[0] == column:
                return pick
        for pick in found:
            if pick[0] not in picks:
                return pick
        return found[0] if found else None

    def picks(self, row: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
        """A line's workshops (round columns and the "workshops" column), by round."""
        wanted = [
            (column, value)
            for column, value in row.items()
            if column.startswith("workshop_") and value
        ]
        listed = row.get("workshops", "")
        parts = re.split(r"[;,\s]+", listed) if IDS.fullmatch(listed) else listed.split(";")
        wanted += [("workshops", part.strip()) for part in parts if part.strip()]
        picks: dict[str, str] = {}
        problems: list[str] = []
        for column, value in wanted:
            found = self.find(value, column, picks)
            if found is None:
                message = _(
                    "« %(value)s » n'est pas un atelier de cet événement.", value=_shown(value)
                )
                problems.append(_problem(column, message))
            elif picks.get(found[0], str(found[1].id)) != str(found[1].id):
                message = _(
                    "« %(value)s » : un deuxième atelier pour le créneau %(number)s.",
                    value=_shown(value),
                    number=found[0].removeprefix("workshop_"),
                )
                problems.append(_problem(column, message))
            else:
                picks[found[0]] = str(found[1].id)
        return picks, problems


OUTCOMES = ("created", "updated", "unchanged", "refused")


@dataclass
class LineResult:
    line: int
    email: str
    outcome: str  # created | updated | unchanged | refused
    reason: str = ""  # why refused, or what changed
    status: str = ""  # confirmed | waitlisted: where the person is once imported
    why: str = ""  # why waitlisted: the event or which workshops are full

    def outcome_label(self) -> str:
        return {
            "created": _("créée"),
            "updated": _("mise à jour"),
            "unchanged": _("inchangée"),
            "refused": _("refusée"),
        }[self.outcome]

    def status_label(self) -> str:
        if not self.status:
            return ""
        label = _("confirmée") if self.status == "confirmed" else _("en liste d'attente")
        return f"{label} ({self.why})" if self.why else label

    def detail(self) -> str:
        return " ; ".join(part for part in (self.reason, self.status_label()) if part)

    def text(self) -> str:
        base = _(
            "ligne %(number)s : %(outcome)s %(email)s",
            number=self.line,
            outcome=self.outcome_label(),
            email=self.email,
        ).rstrip()
        detail = self.detail()
        return f"{base} — {detail}" if detail else base


@dataclass
class CsvImportReport:
    dry_run: bool
    lines: list[LineResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    def with_status(self, status: str) -> int:
        return sum(1 for line in self.lines if line.outcome != "refused" and line.status == status)

    def summary(self) -> str:
        counts = {
            "created": ngettext("%(num)d créée", "%(num)d créées", self.count("created")),
            "updated": ngettext(
                "%(num)d mise à jour", "%(num)d mises à jour", self.count("updated")
            ),
            "unchanged": ngettext(
                "%(num)d inchangée", "%(num)d inchangées", self.count("unchanged")
            ),
            "refused": ngettext("%(num)d refusée", "%(num)d refusées", self.count("refused")),
            "confirmed": ngettext(
                "%(num)d confirmée", "%(num)d confirmées", self.with_status("confirmed")
            ),
            "waitlisted": ngettext(
                "%(num)d en liste d'attente",
                "%(num)d en liste d'attente",
                self.with_status("waitlisted"),
            ),
        }
        if self.dry_run:
            return _(
                "Essai à blanc, rien n'a été enregistré : l'import donnerait %(created)s, "
                "%(updated)s, %(unchanged)s, %(refused)s ; les personnes du fichier seraient "
                "alors %(confirmed)s et %(waitlisted)s.",
                **counts,
            )
        return _(
            "%(created)s, %(updated)s, %(unchanged)s, %(refused)s ; les personnes du fichier "
            "sont maintenant %(confirmed)s et %(waitlisted)s.",
            **counts,
        )


class RegistrationImportFailed(Exception):
    """The import stopped at an error (the database, a bug) and was rolled back as a whole:
    nothing of the file is stored. One line for the user; the cause is chained."""


class _DryRunDone(Exception):
    """Stops a dry run's unit of work at its commit: everything it wrote is rolled back."""


def _failure(error: Exception) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
    text = (str(cause).strip().splitlines() or [""])[0][:200]  # no SQL, no parameters
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _quoted(items: Iterable[ProgrammeItem]) -> str:
    return ", ".join(_("« %(title)s »", title=item.title) for item in items)


def _why_waiting(event: Event, items: Sequence[ProgrammeItem], taken: Taken) -> str:
    """What keeps a waitlisted person from a seat: the event, or which workshops, full."""
    reasons = []
    if event_is_full(event, taken):
        reasons.append(_("événement complet"))
    full = full_items(event, items, taken)
    if full:
        reasons.append(
            ngettext(
                "atelier complet : %(titles)s",
                "ateliers complets : %(titles)s",
                len(full),
                titles=_quoted(full),
            )
        )
    return " ; ".join(reasons)


@dataclass
class _Known:
    """A known address's registration before the import (the dry run compares)."""

    id: int
    status: RegistrationStatus
    items: set[int]


@dataclass
class _Outcome:
    """A line's person as the unit of work left them, read just before its commit."""

    status: RegistrationStatus | None = None
    why: str = ""
    items: set[int] | None = None  # a known address's workshops (the dry run compares)
    full: list[str] = field(default_factory=list)  # a refused change: why, per round


def _observe(
    event: Event,
    accepted: Sequence[tuple[LineResult, BatchLine]],
    keys: Sequence[str],
    known: Mapping[str, _Known],
    workshops: _Workshops,
) -> dict[str, _Outcome]:
    """Where each person of the file stands once the batch is written, read inside its
    unit of work (under the event's lock, before the commit): statuses in one query, the
    seats in one more, and for the dry run the known addresses' workshops."""
    db.session.flush()
    wanted = set(keys)
    statuses = {
        key: status
        for key, status in db.session.execute(
            select(Registration.email_key, Registration.status).where(
                Registration.event_id == event.id
            )
        )
        if key in wanted
    }
    taken = seats_taken(event.id)
    items_of: dict[int, set[int]] = {known_one.id: set() for known_one in known.values()}
    ids = list(items_of)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for registration_id, item_id in db.session.execute(
            select(RegistrationChoice.registration_id, RegistrationChoice.item_id).where(
                RegistrationChoice.registration_id.in_(ids[start : start + LOOKUP_CHUNK])
            )
        ):
            items_of[registration_id].add(item_id)
    outcomes: dict[str, _Outcome] = {}
    for (_line, batch), key in zip(accepted, keys, strict=True):
        status = statuses.get(key)
        outcome = _Outcome(status=status)
        if status == RegistrationStatus.WAITLISTED:
            outcome.why = _why_waiting(event, batch.items, taken)
        if key in known:
            before = known[key]
            outcome.items = items_of.get(before.id)
            if before.status == RegistrationStatus.CONFIRMED:  # its change was measured
                after = taken.copy()  # without its own seats
                after.release(before.items)
            else:
                after = taken
            outcome.full = [
                _problem(workshops.by_id[str(item.id)][0], _("Cet atelier est complet."))
                for item in full_items(event, batch.items, after)
            ]
        outcomes[key] = outcome
    return outcomes


def _run(
    event: Event,
    accepted: Sequence[tuple[LineResult, BatchLine]],
    workshops: _Workshops,
    *,
    dry_run: bool,
) -> None:
    """Every accepted line through register_batch: one unit of work under the event's lock,
    the rules of the form. A dry run is that very unit of work, stopped at its commit and
    rolled back: it tells exactly what the import would do, and stores and mails nothing."""
    keys = [email_key(batch.applicant.email) for _line, batch in accepted]
    known = {
        key: _Known(found.id, found.status, {choice.item_id for choice in found.choices})
        for key, found in registrations_by_key(event.id, keys).items()
    }
    seen: dict[str, _Outcome] = {}
    session = db.session()

    def before_commit(_session: object) -> None:
        seen.update(_observe(event, accepted, keys, known, workshops))
        if dry_run:
            raise _DryRunDone

    sa_event.listen(session, "before_commit", before_commit)
    results: list[BatchResult] | None = None
    try:
        results = register_batch(event, [batch for _line, batch in accepted])
    except _DryRunDone:
        pass
    except Exception as error:
        raise RegistrationImportFailed(
            _(
                "l'import s'est arrêté sur une erreur et a été annulé, rien n'a été importé "
                "(%(error)s)",
                error=_failure(error),
            )
        ) from error
    finally:
        sa_event.remove(session, "before_commit", before_commit)
    for index, ((line, batch), key) in enumerate(zip(accepted, keys, strict=True)):
        outcome = seen.get(key, _Outcome())
        line.status = outcome.status.value if outcome.status else ""
        line.why = outcome.why
        before = known.get(key)
        if results is not None:
            result = results[index]
            kind = result.outcome
            errors = [_problem(k, str(v)) for k, v in result.errors.items()]
        elif before is None:
            kind, errors = "created", []
        elif before.status == RegistrationStatus.CANCELLED:
            kind, errors = "cancelled", []
        elif before.items == {item.id for item in batch.items}:
            kind, errors = "unchanged", []
        elif outcome.items == {item.id for item in batch.items}:
            kind, errors = "updated", []
        else:
            kind, errors = "refused", outcome.full or [_("Cet atelier est complet.")]
        if kind == "cancelled":
            line.outcome, line.reason = (
                "refused",
                _("Cette inscription est annulée : elle ne peut plus changer."),
            )
        elif kind == "refused":
            line.outcome, line.reason = "refused", " ; ".join(errors)
            line.reason += " " + _("(la personne garde ses ateliers)")
        else:
            line.outcome = kind
            if kind == "updated":
                line.reason = _("ateliers changés")
        if line.outcome == "refused":
            line.status = line.why = ""


def import_registrations(event: Event, data: bytes, *, dry_run: bool) -> CsvImportReport:
    """Creates or updates (same address) one registration per line; a refused line stores
    nothing and says why. Every other line is stored in one unit of work under the event's
    lock (eventapp.registration.batch.register_batch), so that the import stores all of
    them or, if it stops at an error (RegistrationImportFailed), none. With ``dry_run`` the
    same unit of work is rolled back at its end: nothing at all is stored and no mail is
    sent, and the report says what the import would do, confirmed or waitlisted, and why."""
    header = _Header.known()
    table = _read_csv(data, header)
    workshops = _Workshops.of(event)
    report = CsvImportReport(dry_run=dry_run)
    accepted: list[tuple[LineResult, BatchLine]] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        email = row.get("email", "")
        applicant, problems = _check_person(row)
        picks, pick_problems = workshops.picks(row)
        problems += pick_problems
        items: list[ProgrammeItem] = []
        if not pick_problems:
            items, errors = check_choices(event, picks, workshops.fields)
            problems += [_problem(name, str(message)) for name, message in errors.items()]
        if _norm(row.get("status", "")) in header.cancelled:
            problems.append(
                _(
                    "la ligne porte le statut « %(status)s » : elle n'est pas importée",
                    status=_shown(row["status"]),
                )
            )
        key = email_key(email)
        if key and key in seen:
            problems.append(
                _("la même adresse figure déjà à la ligne %(number)s", number=seen[key])
            )
        seen.setdefault(key, number)
        if problems or applicant is None:
            report.lines.append(LineResult(number, _shown(email), "refused", " ; ".join(problems)))
            continue
        line = LineResult(number, email, "created")
        report.lines.append(line)
        accepted.append((line, BatchLine(applicant, items)))
    if accepted:
        _run(event, accepted, workshops, dry_run=dry_run)
    return report


# --- command line ----------------------------------------------------------------------


@click.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; store nothing.")
@with_appcontext
def import_command(slug: str, file: Path, dry_run: bool) -> None:
    """Import registrations from a CSV: the organisers' export (as edited in a spreadsheet)
    or first_name, last_name, email, organisation, job_title, workshops (item ids); one
    report line per CSV line."""
    from eventapp import mail
    from eventapp.programme import event_by_slug

    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(
            _("impossible de lire %(file)s : %(reason)s", file=file, reason=error.strerror)
        ) from error
    try:
        report = import_registrations(event, data, dry_run=dry_run)
    except (RegistrationImportError, RegistrationImportFailed) as error:
        raise click.ClickException(f"{file}: {error}") from error
    if not dry_run:
        mail.deliver_new()
    for line in report.lines:
        click.echo(line.text())
    click.echo(report.summary())

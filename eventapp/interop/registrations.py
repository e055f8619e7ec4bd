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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError

from eventapp.models import Event, RegistrationStatus
from eventapp.programme import Block
from eventapp.registration import Applicant
from eventapp.registration.export import neutralise, registration_rows
from eventapp.registration.rules import NO_MARKUP, check_choices, choice_fields
from eventapp.registration.service import (
    BatchLine,
    email_key,
    register_batch,
    registrations_by_key,
)

CSV_MAX_BYTES = 5 * 1024 * 1024
IMPORT_FIELDS = ("first_name", "last_name", "email", "organisation", "job_title", "workshops")
LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "organisation": 200, "job_title": 200}


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


class RegistrationImportError(ValueError):
    """The file as a whole cannot be read (encoding, header); one line for the user."""


@dataclass
class LineResult:
    line: int
    email: str
    outcome: str  # created | updated | unchanged | refused
    reason: str = ""

    def text(self) -> str:
        base = f"line {self.line}: {self.outcome}"
        if self.email:
            base += f" {self.email}"
        return base + (f" — {self.reason}" if self.reason else "")


@dataclass
class CsvImportReport:
    dry_run: bool
    lines: list[LineResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    def summary(self) -> str:
        prefix = "Dry run, nothing stored: would be " if self.dry_run else ""
        return (
            f"{prefix}{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('refused')} refused."
        )


def _read_csv(data: bytes) -> list[dict[str, str]]:
    if len(data) > CSV_MAX_BYTES:
        raise RegistrationImportError(f"the file is over {CSV_MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegistrationImportError(f"not UTF-8 text (byte {error.start})") from error
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise RegistrationImportError(f"line 1: {_csv_problem(error)}") from error
    missing = [name for name in ("first_name", "last_name", "email") if name not in header]
    if missing:
        raise RegistrationImportError("the header line lacks the column(s) " + ", ".join(missing))
    unknown = [name for name in header if name not in IMPORT_FIELDS]
    if unknown:
        raise RegistrationImportError("unknown column(s) " + ", ".join(unknown))
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise RegistrationImportError(
            "the header line names the column(s) " + ", ".join(twice) + " more than once"
        )
    reader.fieldnames = header
    # line_num counts the lines of the records read whole: the failing one starts after them.
    try:
        return [
            {key: (value or "").strip() for key, value in row.items() if isinstance(key, str)}
            for row in reader
        ]
    except csv.Error as error:
        raise RegistrationImportError(
            f"line {reader.line_num + 1}: {_csv_problem(error)}"
        ) from error


def _csv_problem(error: csv.Error) -> str:
    """The csv module's complaint, in words an organiser can act on."""
    if "field larger than field limit" in str(error):
        return f"a field is longer than the limit of {csv.field_size_limit()} characters"
    return str(error)


def _check_person(row: Mapping[str, str]) -> tuple[Applicant | None, list[str]]:
    problems = []
    for name, limit in LIMITS.items():
        value = row.get(name, "")
        if len(value) > limit:
            problems.append(f"{name}: {limit} characters at most")
        if name != "email" and NO_MARKUP.search(value):
            problems.append(f"{name}: < > and control characters are refused")
    for name in ("first_name", "last_name", "email"):
        if not row.get(name):
            problems.append(f"{name}: missing")
    if row.get("email"):
        try:
            validate_email(row["email"], check_deliverability=False)
        except EmailNotValidError as error:
            problems.append(f"email: {error}")
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
    """Item ids given as a flat list, put in the round each belongs to (for check_choices).
    ``rounds``: the event's _round_index, when the caller checks many lines."""
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


def _messages(errors: Mapping[str, object]) -> list[str]:
    return [f"{name}: {message}" for name, message in errors.items()]


class RegistrationImportFailed(Exception):
    """The import stopped at an error (the database, a bug) and was rolled back as a whole:
    nothing of the file is stored. One line for the user; the cause is chained."""


def _failure(error: Exception) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
    text = (str(cause).strip().splitlines() or [""])[0][:200]  # no SQL, no parameters
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _preview(event: Event, accepted: Sequence[tuple[LineResult, BatchLine]]) -> None:
    """The dry run: what the import would do with each accepted line, read only."""
    existing = registrations_by_key(
        event.id, (email_key(batch.applicant.email) for _line, batch in accepted)
    )
    for line, batch in accepted:
        found = existing.get(email_key(batch.applicant.email))
        if found is None:
            continue  # "created"
        if found.status == RegistrationStatus.CANCELLED:
            line.outcome, line.reason = "refused", "this registration is cancelled"
        elif {c.item_id for c in found.choices} == {item.id for item in batch.items}:
            line.outcome = "unchanged"
        else:
            line.outcome, line.reason = "updated", "workshops changed"


def _store(event: Event, accepted: Sequence[tuple[LineResult, BatchLine]]) -> None:
    """Every accepted line in one unit of work under the event's lock, or none."""
    try:
        results = register_batch(event, [batch for _line, batch in accepted])
    except Exception as error:
        raise RegistrationImportFailed(
            f"the import stopped at an error and was undone, nothing was imported "
            f"({_failure(error)})"
        ) from error
    for (line, _batch), result in zip(accepted, results, strict=True):
        if result.outcome == "created" and result.status is not None:
            line.reason = result.status.value
        elif result.outcome == "updated":
            line.outcome, line.reason = "updated", "workshops changed"
        elif result.outcome == "unchanged":
            line.outcome = "unchanged"
        elif result.outcome == "cancelled":
            line.outcome, line.reason = "refused", "this registration is cancelled"
        else:
            reason = "; ".join(_messages({k: str(v) for k, v in result.errors.items()}))
            line.outcome, line.reason = "refused", reason


def import_registrations(event: Event, data: bytes, *, dry_run: bool) -> CsvImportReport:
    """Creates or updates (same address) one registration per line; a refused line stores
    nothing and says why. Every other line is stored in one unit of work under the event's
    lock (eventapp.registration.service.register_batch), so that the import stores all of
    them or, if it stops at an error (RegistrationImportFailed), none. With ``dry_run``
    nothing at all is stored and no mail is sent."""
    rows = _read_csv(data)
    fields = choice_fields(event)
    rounds = _round_index(fields)
    report = CsvImportReport(dry_run=dry_run)
    accepted: list[tuple[LineResult, BatchLine]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        email = row.get("email", "")
        applicant, problems = _check_person(row)
        ids = [part for part in re.split(r"[;,\s]+", row.get("workshops", "")) if part]
        picks, pick_problems = workshop_picks(event, ids, rounds)
        problems += pick_problems
        items = []
        if not pick_problems:
            items, errors = check_choices(event, picks, fields)
            problems += _messages({k: str(v) for k, v in errors.items()})
        key = email_key(email)
        if key and key in seen:
            problems.append("the same address appears on an earlier line")
        seen.add(key)
        if problems or applicant is None:
            report.lines.append(LineResult(number, email, "refused", "; ".join(problems)))
            continue
        line = LineResult(number, email, "created")
        report.lines.append(line)
        accepted.append((line, BatchLine(applicant, items)))
    if not accepted:
        return report
    if dry_run:
        _preview(event, accepted)
    else:
        _store(event, accepted)
    return report


# --- command line ----------------------------------------------------------------------


@click.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; store nothing.")
@with_appcontext
def import_command(slug: str, file: Path, dry_run: bool) -> None:
    """Import registrations from a CSV (first_name, last_name, email, organisation,
    job_title, workshops); one report line per CSV line."""
    from eventapp import mail
    from eventapp.programme import event_by_slug

    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(f"no event with the slug {slug!r}")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror}") from error
    try:
        report = import_registrations(event, data, dry_run=dry_run)
    except (RegistrationImportError, RegistrationImportFailed) as error:
        raise click.ClickException(f"{file}: {error}") from error
    if not dry_run:
        mail.deliver_new()
    for line in report.lines:
        click.echo(line.text())
    click.echo(report.summary())

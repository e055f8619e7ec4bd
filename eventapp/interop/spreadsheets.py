"""Registrations out: CSV and XLSX writers over plain rows, and the rows of an event's
export (built by eventapp.registration.export, the one row builder of the organisers'
list, their CSV and the API), so that one writer serves every export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flask_babel import get_locale

from eventapp.models import (
    Event,
)
from eventapp.registration.export import neutralise, registration_rows, theme_titles


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
    times in the event's time zone, and on a preferences event each person's ranking as
    ``rank_1``… (the theme's title in the current language, as the organisers' CSV writes
    it; the import reads both back): what the CSV and XLSX writers above take."""
    rows = registration_rows(event)
    ranked = any(row["preferences"] for row in rows)
    themes = theme_titles(event, str(get_locale())) if ranked else {}
    exported = []
    for row in rows:
        local = {
            name: event.local(datetime.fromisoformat(row[name])).isoformat() if row[name] else ""
            for name in ("registered_at", "checked_in_at")
        }
        workshops = [choice["title"] for choice in row["choices"] if choice["title"]]
        ranks = {
            f"rank_{number}": themes.get(key, key)
            for number, key in enumerate(row["preferences"], start=1)
        }
        exported.append({**row, **local, "workshops": workshops, **ranks})
    return exported


def export_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """EXPORT_COLUMNS, then one ``rank_N`` column per rank that someone gave."""
    ranks = max((len(row["preferences"]) for row in rows), default=0)
    return [*EXPORT_COLUMNS, *(f"rank_{number}" for number in range(1, ranks + 1))]


# --- import ----------------------------------------------------------------------------
#
# The file: the import's own columns (first_name, last_name, email, organisation, job_title,
# workshops: item ids), or the organisers' export as it comes out of a spreadsheet
# (eventapp.registration.export.registrations_csv: its headers in French, Dutch or English,
# one column per round holding the workshop's title), or the API's CSV (export_rows above).
# The separator (",", ";" or a tab) is the one under which the header line reads best; a
# UTF-8 byte order mark is read past. Every message is French through Flask-Babel, so that
# the organiser reads it in their language on the page and at the command line.

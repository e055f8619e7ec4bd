"""Reading a registrations CSV: the organisers' export as edited in a spreadsheet (its
header in any language of the application) or first_name, last_name, email, organisation,
job_title, workshops (item ids); each line's person and workshops checked, with a message
an organiser can act on."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from eventapp.allocation.preferences import check_preferences, offered_themes
from eventapp.models import (
    Event,
    ProgrammeItem,
    RegistrationStatus,
)
from eventapp.programme import Block, theme_owner
from eventapp.registration import Applicant
from eventapp.registration.export import FORMULA_STARTS
from eventapp.registration.rules import (
    NO_MARKUP,
    choice_fields,
    valid_email,
)

CSV_MAX_BYTES = 5 * 1024 * 1024


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


def norm(text: str) -> str:
    """A header or a title as compared: case, Unicode form and spacing left aside."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def shown(value: str) -> str:
    value = NO_MARKUP.sub(" ", value)
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def _label(column: str) -> str:
    """A column as the organisers' export names it, in the current language."""
    if column.startswith("workshop_"):
        return _("Atelier, créneau %(number)s", number=column.removeprefix("workshop_"))
    if column.startswith("rank_"):
        return _("Choix n° %(rank)s", rank=column.removeprefix("rank_"))
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


def problem(column: str, message: str) -> str:
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
class Header:
    """The header names the import knows, in every language of the application."""

    names: dict[str, str]
    rounds: list[re.Pattern[str]]
    cancelled: set[str]
    ranks: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def known(cls) -> Header:
        names = {name: name for name in (*PERSON_FIELDS, "workshops", "status")}
        names.update({name: "" for name in IGNORED})
        rounds = [re.compile(r"workshop_(\d+)")]
        ranks = [re.compile(r"rank_(\d+)")]
        cancelled = {norm(RegistrationStatus.CANCELLED.value)}
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                for text, column in _export_headers().items():
                    names.setdefault(norm(text), column)
                title = norm(_("Atelier, créneau %(number)s", number=ROUND_SENTINEL))
                rounds.append(re.compile(re.escape(title).replace(ROUND_SENTINEL, r"(\d+)")))
                rank = norm(_("Choix n° %(rank)s", rank=ROUND_SENTINEL))
                ranks.append(re.compile(re.escape(rank).replace(ROUND_SENTINEL, r"(\d+)")))
                cancelled.add(norm(_("annulée")))
        return cls(names, rounds, cancelled, ranks)

    def column(self, cell: str) -> str | None:
        """The column a header cell names ("" : read past), None if unknown."""
        key = norm(cell)
        if key in self.names:
            return self.names[key]
        for pattern in self.rounds:
            if match := pattern.fullmatch(key):
                return f"workshop_{int(match.group(1))}"
        for pattern in self.ranks:
            if match := pattern.fullmatch(key):
                return f"rank_{int(match.group(1))}"
        return None


@dataclass
class Table:
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


def _separator(text: str, header: Header) -> str:
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


def _header_columns(cells: Sequence[str], header: Header) -> list[str]:
    columns: list[str] = []
    unknown: list[str] = []
    for cell in cells:
        column = header.column(cell)
        if column is None:
            if cell.strip():
                unknown.append(shown(cell.strip()))
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


def read_csv(data: bytes, header: Header) -> Table:
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
    return Table(columns, rows)


def check_person(row: Mapping[str, str]) -> tuple[Applicant | None, list[str]]:
    problems = []
    for name in PERSON_FIELDS:
        value = row.get(name, "")
        if not value:
            if name in REQUIRED:
                problems.append(problem(name, _("Ce champ est obligatoire.")))
            continue
        if len(value) > LIMITS[name]:
            problems.append(
                problem(
                    name, _("Texte trop long : %(count)s caractères au plus.", count=LIMITS[name])
                )
            )
        elif name == "email":
            if not valid_email(value):  # the form's rule; its English reason is not shown
                problems.append(problem(name, _("Cette adresse e-mail n'est pas valide.")))
        elif NO_MARKUP.search(value):
            problems.append(
                problem(name, _("Les caractères < et > et les retours à la ligne sont refusés."))
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
class Workshops:
    """The event's workshops by id and by title, each with the field name of its round."""

    fields: list[tuple[str, Block]]
    by_id: dict[str, tuple[str, ProgrammeItem]]
    by_title: dict[str, list[tuple[str, ProgrammeItem]]]

    @classmethod
    def of(cls, event: Event) -> Workshops:
        fields = choice_fields(event)
        by_id: dict[str, tuple[str, ProgrammeItem]] = {}
        by_title: dict[str, list[tuple[str, ProgrammeItem]]] = {}
        for name, block in fields:
            for item in block.workshops:
                by_id[str(item.id)] = (name, item)
                # Its title in every language of the event: an export made in any of them
                # reads back (each title once per item).
                titles = {norm(item.translation("title", code)) for code in item.language_list}
                for title in titles - {""}:
                    by_title.setdefault(title, []).append((name, item))
        return cls(fields, by_id, by_title)

    def find(
        self, value: str, column: str, picks: Mapping[str, str]
    ) -> tuple[str, ProgrammeItem] | None:
        """The workshop a cell names, by id or by title. A title given in several rounds
        (the same workshop twice in the day) is taken in the column's own round, else in
        the first round not picked yet."""
        if value in self.by_id:
            return self.by_id[value]
        found = self.by_title.get(norm(value), [])
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
                    "« %(value)s » n'est pas un atelier de cet événement.", value=shown(value)
                )
                problems.append(problem(column, message))
            elif picks.get(found[0], str(found[1].id)) != str(found[1].id):
                message = _(
                    "« %(value)s » : un deuxième atelier pour le créneau %(number)s.",
                    value=shown(value),
                    number=found[0].removeprefix("workshop_"),
                )
                problems.append(problem(column, message))
            else:
                picks[found[0]] = str(found[1].id)
        return picks, problems


@dataclass
class Themes:
    """A preferences event's themes by key and by title (in every language of the event),
    to read a ranking's cells: the export writes titles, a script may write keys."""

    by_title: dict[str, str]

    @classmethod
    def of(cls, event: Event) -> Themes:
        by_title: dict[str, str] = {}
        for key, item in offered_themes(event):
            owner = theme_owner(item)
            for code in item.language_list:
                by_title.setdefault(norm(str(owner.translation("title", code))), key)
        return cls(by_title)

    def ranking(self, event: Event, row: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """A line's ranking (theme keys, best first) from its rank columns, or the form's
        messages about it (a theme twice, unknown, a rank missing or beyond k)."""
        submitted = {
            column: self.by_title.get(norm(value), value)
            for column, value in row.items()
            if column.startswith("rank_")
        }
        ranking, errors = check_preferences(event, submitted)
        return ranking, [problem(name, str(message)) for name, message in errors.items()]

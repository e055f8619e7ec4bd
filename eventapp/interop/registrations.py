"""The registrations CSV import and its command: a file checked line by line
(eventapp.interop.registration_csv), then every accepted line stored through
eventapp.registration.batch.register_batch: one unit of work under the event's lock, with
the same rules as the form for capacity, waiting list, workshop rounds and mails, so that a
file is stored as a whole or, if the import stops at an error, not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from eventapp.extensions import db
from eventapp.interop.registration_csv import (
    CSV_MAX_BYTES,
    Header,
    RegistrationImportError,
    Themes,
    Workshops,
    check_person,
    norm,
    problem,
    read_csv,
    shown,
)
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
)
from eventapp.models.types import utcnow
from eventapp.registration import mails
from eventapp.registration.batch import (
    LOOKUP_CHUNK,
    BatchLine,
    BatchResult,
    register_batch,
    registrations_by_key,
)
from eventapp.registration.locking import lock_event
from eventapp.registration.rules import (
    Taken,
    check_choices,
    event_is_full,
    full_items,
    seats_taken,
)
from eventapp.registration.seating import email_key, new_pending

__all__ = [
    "CSV_MAX_BYTES",
    "CsvImportReport",
    "LineResult",
    "RegistrationImportError",
    "RegistrationImportFailed",
    "import_command",
    "import_registrations",
]


OUTCOMES = ("created", "updated", "unchanged", "refused")


@dataclass
class LineResult:
    line: int
    email: str
    outcome: str  # created | updated | unchanged | refused
    reason: str = ""  # why refused, or what changed
    status: str = ""  # confirmed | waitlisted | pending: where the person is once imported
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
        if self.status == "pending":
            return _("en attente de l'attribution")
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
        if self.with_status("pending"):  # a preferences event: the allocation seats them
            counts["pending"] = ngettext(
                "%(num)d en attente de l'attribution",
                "%(num)d en attente de l'attribution",
                self.with_status("pending"),
            )
            if self.dry_run:
                return _(
                    "Essai à blanc, rien n'a été enregistré : l'import donnerait %(created)s, "
                    "%(updated)s, %(unchanged)s, %(refused)s ; les personnes du fichier "
                    "seraient alors %(confirmed)s, %(waitlisted)s et %(pending)s.",
                    **counts,
                )
            return _(
                "%(created)s, %(updated)s, %(unchanged)s, %(refused)s ; les personnes du "
                "fichier sont maintenant %(confirmed)s, %(waitlisted)s et %(pending)s.",
                **counts,
            )
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
    workshops: Workshops,
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
                problem(workshops.by_id[str(item.id)][0], _("Cet atelier est complet."))
                for item in full_items(event, batch.items, after)
            ]
        outcomes[key] = outcome
    return outcomes


def _run(
    event: Event,
    accepted: Sequence[tuple[LineResult, BatchLine]],
    workshops: Workshops,
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
            errors = [problem(k, str(v)) for k, v in result.errors.items()]
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
    header = Header.known()
    table = read_csv(data, header)
    workshops = Workshops.of(event)
    ranked = event.allocation_mode == "preferences"
    themes = Themes.of(event) if ranked else None
    report = CsvImportReport(dry_run=dry_run)
    accepted: list[tuple[LineResult, BatchLine]] = []
    rankings: list[list[str]] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        email = row.get("email", "")
        applicant, problems = check_person(row)
        items: list[ProgrammeItem] = []
        ranking: list[str] = []
        if themes is not None:
            # Preferences: the ranking is read, the allocation seats people (the workshop
            # columns an export writes for those already seated are read past).
            ranking, rank_problems = themes.ranking(event, row)
            problems += rank_problems
        else:
            picks, pick_problems = workshops.picks(row)
            problems += pick_problems
            if not pick_problems:
                items, errors = check_choices(event, picks, workshops.fields)
                problems += [problem(name, str(message)) for name, message in errors.items()]
        if norm(row.get("status", "")) in header.cancelled:
            problems.append(
                _(
                    "la ligne porte le statut « %(status)s » : elle n'est pas importée",
                    status=shown(row["status"]),
                )
            )
        key = email_key(email)
        if key and key in seen:
            problems.append(
                _("la même adresse figure déjà à la ligne %(number)s", number=seen[key])
            )
        seen.setdefault(key, number)
        if problems or applicant is None:
            report.lines.append(LineResult(number, shown(email), "refused", " ; ".join(problems)))
            continue
        line = LineResult(number, email, "created")
        report.lines.append(line)
        accepted.append((line, BatchLine(applicant, items)))
        rankings.append(ranking)
    if accepted and ranked:
        _run_ranked(event, accepted, rankings, dry_run=dry_run)
    elif accepted:
        _run(event, accepted, workshops, dry_run=dry_run)
    return report


def _run_ranked(
    event: Event,
    accepted: Sequence[tuple[LineResult, BatchLine]],
    rankings: Sequence[list[str]],
    *,
    dry_run: bool,
) -> None:
    """The accepted lines of a preferences event, in one unit of work under the event's
    lock: a new address is registered pending with its ranking (the allocation seats it;
    a "wishes received" mail), a known one gets its ranking changed (a seated person keeps
    their workshops until a full re-run). A dry run is rolled back."""
    now = utcnow()
    try:
        lock_event(event.id)
        keys = [email_key(batch.applicant.email) for _line, batch in accepted]
        existing = registrations_by_key(event.id, keys)
        created: list[Registration] = []
        for (line, batch), key, ranking in zip(accepted, keys, rankings, strict=True):
            found = existing.get(key)
            if found is None:
                person = new_pending(event, batch.applicant, ranking, now)
                created.append(person)
                line.status = RegistrationStatus.PENDING.value
                continue
            if found.status == RegistrationStatus.CANCELLED:
                line.outcome = "refused"
                line.reason = _("Cette inscription est annulée : elle ne peut plus changer.")
                continue
            line.status = found.status.value
            if list(found.preferences or ()) == ranking:
                line.outcome = "unchanged"
            else:
                found.preferences = list(ranking)
                line.outcome, line.reason = "updated", _("classement changé")
        db.session.flush()
        for person in created:
            mails.enqueue("pending", person)
        if dry_run:
            db.session.rollback()
            return
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise RegistrationImportFailed(
            _(
                "l'import s'est arrêté sur une erreur et a été annulé, rien n'a été importé "
                "(%(error)s)",
                error=_failure(error),
            )
        ) from error


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
        raise click.ClickException(_("%(file)s : %(reason)s", file=file, reason=error)) from error
    if not dry_run:
        mail.deliver_new()
    for line in report.lines:
        click.echo(line.text())
    click.echo(report.summary())

"""The watcher (``eventapp mail send --watch``) and the ``eventapp mail`` commands."""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.mail.outbox import DeliveryReport, deliver_due, not_due_yet

#: How often the watcher runs its chores (see chore).
CHORE_INTERVAL = 60.0
_chores: dict[str, Callable[[], None]] = {}


def chore(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Registers the decorated function as a chore of the watcher: run when it starts and
    then every CHORE_INTERVAL seconds, in its own unit of work (e.g. releasing the seats of
    unconfirmed registrations, eventapp.registration.confirmation). The mail package
    knows no domain: the domains register their chores here."""

    def register(function: Callable[[], None]) -> Callable[[], None]:
        _chores[name] = function
        return function

    return register


def run_chores() -> None:
    """Runs every chore once; one that fails is logged and the others still run."""
    for name, function in _chores.items():
        try:
            function()
        except Exception:  # a database hiccup must not end the watcher
            db.session.rollback()
            current_app.logger.exception("watcher chore %r failed; trying again later", name)
        finally:
            db.session.remove()


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


def delivered_line(report: DeliveryReport) -> str:
    """How many mails went out and how many stay queued, in the interface's language."""
    sent = ngettext("%(num)d mail envoyé", "%(num)d mails envoyés", report.sent)
    queued = ngettext("%(num)d encore en file", "%(num)d encore en file", report.failed)
    if not report.undeliverable:
        return f"{sent}, {queued}."
    never = ngettext(
        "%(num)d impossible à remettre, marqué en échec",
        "%(num)d impossibles à remettre, marqués en échec",
        report.undeliverable,
    )
    return f"{sent}, {queued}, {never}."


def watch_outbox(interval: float, parent: int | None = None, batch: int = 20) -> None:
    """Delivers what is due, again and again, until SIGTERM/SIGINT (or ``parent`` exits).

    A failure of the database or of the mail server is logged and tried again at the next
    round; the rows stay queued meanwhile.
    """
    click.echo(
        _(
            "Envoi des mails en file toutes les %(interval)s s, jusqu'à l'arrêt.",
            interval=format_decimal(interval),
        )
    )
    next_chores = 0.0
    with _Stop(parent) as stop:
        while not stop.requested:
            if time.monotonic() >= next_chores:
                run_chores()
                next_chores = time.monotonic() + CHORE_INTERVAL
            try:
                report = deliver_due(limit=batch)
            except Exception:  # a database restart must not end the watcher
                current_app.logger.exception("outbox round failed; trying again")
                report = DeliveryReport()
            finally:
                db.session.remove()
            if report.sent or report.failed or report.undeliverable:
                click.echo(delivered_line(report))
            handled = report.sent + report.failed + report.undeliverable
            if handled < batch:  # a full batch: more is waiting now
                stop.wait(interval)


mail_cli = AppGroup("mail", help="The outbox of outgoing mail.")


def _seconds(written: str) -> float:
    """The --interval, a number of seconds above 0 (refused in the interface's language,
    hence checked here, in the app context, and not by click's type)."""
    try:
        value = float(written.replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise click.UsageError(
            _(
                "--interval attend un nombre de secondes supérieur à 0, pas « %(value)s »",
                value=written,
            ),
            ctx=click.get_current_context(),
        )
    return value


@mail_cli.command("send")
@click.option("--watch", is_flag=True, help="Keep delivering until stopped (SIGTERM).")
@click.option(
    "--interval", default="1", show_default=True, metavar="SECONDS",
    help="With --watch: seconds between two looks at the outbox.",
)  # fmt: skip
@click.option("--parent", type=int, hidden=True, help="With --watch: stop when this PID exits.")
def send_command(watch: bool, interval: str, parent: int | None) -> None:
    """Deliver every queued mail that is due; failed ones stay queued and are retried."""
    seconds = _seconds(interval)
    if watch:
        watch_outbox(seconds, parent)
        return
    report = deliver_due()
    click.echo(delivered_line(report))
    later, first = not_due_yet()
    if later and first is not None:
        click.echo(
            ngettext(
                "%(num)d autre mail attend son heure (mises à jour de calendrier regroupées "
                "quelques minutes, ou nouvel essai après un refus), le %(first)s UTC ; "
                "« eventapp mail send --watch » l'envoie à ce moment-là.",
                "%(num)d autres mails attendent leur heure (mises à jour de calendrier "
                "regroupées quelques minutes, ou nouveaux essais après un refus), le premier "
                "le %(first)s UTC ; « eventapp mail send --watch » les envoie à leur heure.",
                later,
                first=f"{first:%Y-%m-%d %H:%M}",
            )
        )
    if report.failed:
        raise click.ClickException(
            ngettext(
                "%(num)d mail n'a pas pu être envoyé (%(error)s) ; il reste en file et sera "
                "réessayé",
                "%(num)d mails n'ont pas pu être envoyés (%(error)s) ; ils restent en file et "
                "seront réessayés",
                report.failed,
                error=report.errors[0],
            )
        )

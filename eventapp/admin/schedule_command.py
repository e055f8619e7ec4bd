"""`eventapp import FILE [--publish]`: a schedule.xml or schedule.json from pretalx, frab or
eventapp becomes an event (a draft), published at once with --publish when its programme has
no conflict. An interface: it reads the file (eventapp.interop) and publishes as the
organisers' overview does (eventapp.admin.events)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp.admin.events import PublicationRefused
from eventapp.admin.events import publish as publish_event
from eventapp.interop.files import MAX_IMPORT_BYTES, read_schedule
from eventapp.interop.importer import import_schedule
from eventapp.interop.schedule import ScheduleError
from eventapp.programme import event_by_slug


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--timezone",
    default="Europe/Brussels",
    show_default=True,
    help="Time zone of times written without an offset.",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Publish the event when its programme has no conflict (else list them, exit 1).",
)
def import_command(file: Path, timezone: str, publish: bool) -> None:
    """Import a schedule.xml or schedule.json; importing again updates (items match on guid)."""
    try:
        size = file.stat().st_size
    except OSError as error:
        raise click.ClickException(
            _("impossible de lire %(file)s : %(reason)s", file=file, reason=error.strerror)
        ) from error
    limit = current_app.config.get("MAX_IMPORT_BYTES", MAX_IMPORT_BYTES)
    if size > limit:
        raise click.ClickException(
            _(
                "%(file)s pèse %(size)s Mo ; la limite est de %(limit)s Mo",
                file=file,
                size=size // (1024 * 1024),
                limit=limit // (1024 * 1024),
            )
        )
    try:
        schedule, refused = read_schedule(file.read_bytes(), timezone)
        with click.progressbar(
            length=len(schedule.items), label=_("Import"), file=sys.stderr
        ) as bar:
            report = import_schedule(schedule, refused, progress=lambda _row: bar.update(1))
    except ScheduleError as error:
        raise click.ClickException(_("%(file)s : %(reason)s", file=file, reason=error)) from error
    click.echo(report.summary())
    for reason in report.refused:
        click.echo("  " + _("Refusé : %(reason)s", reason=reason))
    if publish:
        publish_imported(report.event_slug)


def publish_imported(slug: str) -> None:
    """Publishes the imported event, or lists its conflicts (one line each, on stderr) and
    fails, leaving it a draft."""
    # The organiser area's rule (imported here: the organiser area imports this module).

    event = event_by_slug(slug)
    if event is None:  # nothing was imported
        raise click.ClickException(_("aucun événement à publier"))
    try:
        publish_event(event)
    except PublicationRefused as refused:
        for conflict in refused.conflicts:
            line = " ".join(conflict.message.split())
            click.echo("  " + _("Conflit : %(conflict)s", conflict=line), err=True)
        raise click.ClickException(
            ngettext(
                "« %(slug)s » reste un brouillon : %(num)d conflit à corriger avant de publier",
                "« %(slug)s » reste un brouillon : %(num)d conflits à corriger avant de publier",
                len(refused.conflicts),
                slug=slug,
            )
        ) from None
    click.echo(_("Événement « %(slug)s » publié.", slug=slug))

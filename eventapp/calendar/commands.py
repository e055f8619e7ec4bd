"""`eventapp calendar SLUG -o FILE.ics`: the whole programme as an iCalendar file."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp.calendar.ics import programme_calendar
from eventapp.programme import event_by_slug


@click.command("calendar")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE.ics",
    help="Where to write the calendar ('-' for standard output).",
)
@with_appcontext
def calendar_command(slug: str, output: str) -> None:
    """Write the whole programme of the event SLUG as iCalendar."""
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    body = programme_calendar(event, current_app.config["BASE_URL"])
    if output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    try:
        with open(output, "wb") as handle:
            handle.write(body)
    except OSError as error:
        raise click.ClickException(
            _("impossible d'écrire %(file)s : %(reason)s", file=output, reason=error.strerror)
        ) from None
    written = ngettext(
        "Programme de « %(slug)s » (%(num)d élément) écrit dans %(file)s.",
        "Programme de « %(slug)s » (%(num)d éléments) écrit dans %(file)s.",
        len(event.items),
        slug=slug,
        file=output,
    )
    click.echo(written, err=True)

"""`eventapp calendar SLUG -o FILE.ics`: the whole programme as an iCalendar file."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

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
    click.echo(f"Wrote the programme of {slug!r} ({len(event.items)} items) to {output}.", err=True)

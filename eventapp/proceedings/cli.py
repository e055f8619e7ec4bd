"""`eventapp proceedings SLUG -o FILE.pdf`: writes the compte-rendu."""

from __future__ import annotations

import shutil

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from eventapp.proceedings import proceedings_file
from eventapp.programme import event_by_slug


@click.command("proceedings")
@click.argument("slug")
@click.option("-o", "--output", required=True, metavar="FILE.pdf", help="Where to write the PDF.")
@click.option("--archival", is_flag=True, help="PDF/A-3a (archival) instead of PDF/UA-1.")
@with_appcontext
def proceedings_command(slug: str, output: str, archival: bool) -> None:
    """Write the compte-rendu (proceedings) PDF of the event SLUG."""
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    try:
        pdf = proceedings_file(event, "archival" if archival else "accessible")
    except OSError as error:
        raise click.ClickException(
            _(
                "impossible d'écrire dans le dossier des exports : %(reason)s",
                reason=error.strerror or error,
            )
        ) from None
    try:
        shutil.copyfile(pdf.path, output)
    except OSError as error:
        raise click.ClickException(
            _(
                "impossible d'écrire %(file)s : %(reason)s",
                file=output,
                reason=error.strerror or error,
            )
        ) from None
    click.echo(f"Wrote the compte-rendu of {event.slug!r} to {output}.")

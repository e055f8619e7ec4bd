"""`eventapp proceedings SLUG -o FILE.pdf`: writes the compte-rendu."""

from __future__ import annotations

import shutil

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from eventapp.config import LANGUAGES
from eventapp.proceedings import proceedings_file
from eventapp.programme import event_by_slug


@click.command("proceedings")
@click.argument("slug")
@click.option("-o", "--output", required=True, metavar="FILE.pdf", help="Where to write the PDF.")
@click.option("--archival", is_flag=True, help="PDF/A-3a (archival) instead of PDF/UA-1.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The language of the compte-rendu (default: the event's first language).",
)
@with_appcontext
def proceedings_command(slug: str, output: str, archival: bool, lang: str | None) -> None:
    """Write the compte-rendu (proceedings) PDF of the event SLUG."""
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    if lang is not None and lang not in event.language_list:
        raise click.ClickException(
            _(
                "l'événement « %(slug)s » est écrit en %(languages)s, pas en « %(lang)s »",
                slug=slug,
                languages=", ".join(event.language_list),
                lang=lang,
            )
        )
    try:
        pdf = proceedings_file(event, "archival" if archival else "accessible", lang)
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
    click.echo(_("Compte-rendu de « %(slug)s » écrit dans %(file)s.", slug=event.slug, file=output))

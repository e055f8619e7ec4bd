"""`eventapp registrations …`: the registration rules from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp import mail
from eventapp.programme import event_by_slug
from eventapp.registration.confirmation import release_unconfirmed
from eventapp.registration.erasure import erase_expired
from eventapp.registration.service import seats_changed

registrations_cli = AppGroup("registrations", help="Registrations and waiting lists.")


@registrations_cli.command("purge")
def purge_command() -> None:
    """Erase the personal data of registrations to events that ended over a year ago."""
    count = erase_expired()
    click.echo(
        ngettext("%(num)d inscription anonymisée.", "%(num)d inscriptions anonymisées.", count)
    )


@registrations_cli.command("promote")
@click.argument("slug")
def promote_command(slug: str) -> None:
    """Give freed seats (e.g. after raising a capacity) to the first in line, by mail."""
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    promoted = seats_changed(event)
    click.echo(
        ngettext(
            "%(num)d inscription promue depuis la liste d'attente.",
            "%(num)d inscriptions promues depuis la liste d'attente.",
            len(promoted),
        )
    )


@registrations_cli.command("release-unconfirmed")
def release_unconfirmed_command() -> None:
    """Release the seats of registrations whose address was not confirmed in time (their
    data erased), and promote the waiting list. The mail watcher does it every minute."""
    count = release_unconfirmed()
    mail.deliver_new()
    click.echo(
        ngettext(
            "%(num)d inscription non confirmée libérée.",
            "%(num)d inscriptions non confirmées libérées.",
            count,
        )
    )

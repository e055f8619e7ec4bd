"""`eventapp organiser create EMAIL`: accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from eventapp.admin.accounts import AccountError, create_organiser


@click.group("organiser")
def organiser_command() -> None:
    """Organiser accounts."""


@organiser_command.command("create")
@click.argument("email")
@click.option("--admin", "is_admin", is_flag=True, help="Administrator of every event.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_command(email: str, is_admin: bool, password_stdin: bool) -> None:
    """Create an organiser account; the password is asked twice, or read from stdin."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else _ask_password()
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 text, kept as surrogates by Python
        raise click.ClickException(_("Le mot de passe n'est pas du texte UTF-8 valide.")) from None
    try:
        user = create_organiser(email, password, is_admin=is_admin)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    role = _("administrateur") if user.is_admin else _("organisateur")
    click.echo(_("Compte %(role)s créé : %(email)s", role=role, email=user.email))


def _ask_password() -> str:
    """The password, typed twice (asked again while the two differ), with prompts in the
    interface's language and its typography (click's would write "Mot de passe: ")."""
    while True:
        password = click.prompt(_("Mot de passe :"), hide_input=True, prompt_suffix=" ")
        again = click.prompt(_("Répétez le mot de passe :"), hide_input=True, prompt_suffix=" ")
        if again == password:
            return password
        click.echo(_("Les deux mots de passe diffèrent ; recommencez."), err=True)

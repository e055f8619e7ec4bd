"""The `eventapp` command line: the same group as `flask --app eventapp`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from eventapp.config import ConfigError


def _create_app() -> Flask:
    from eventapp import create_app

    return create_app()


def register_commands(app: Flask) -> None:
    """Adds the project's commands to the app's CLI, for `eventapp` and `flask --app eventapp`."""
    from eventapp.admin.cli import organiser_command
    from eventapp.backup import backup_command, restore_command
    from eventapp.calendar.commands import calendar_command
    from eventapp.interop.cli import import_command
    from eventapp.interop.registrations import import_command as registrations_import
    from eventapp.mail import mail_cli
    from eventapp.proceedings.cli import proceedings_command
    from eventapp.registration.commands import registrations_cli

    registrations_cli.add_command(registrations_import)

    for command in (
        demo_command,
        import_command,
        calendar_command,
        proceedings_command,
        organiser_command,
        mail_cli,
        registrations_cli,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)


@click.command("demo")
def demo_command() -> None:
    """Load the network day of 1 December 2015 (twice changes nothing)."""
    from eventapp.demo import load_demo

    event, created = load_demo()
    if created:
        click.echo(f"Loaded the demo event {event.slug!r}.")
    else:
        click.echo(f"The demo event {event.slug!r} is already there; nothing changed.")


cli = FlaskGroup(
    name="eventapp",
    create_app=_create_app,
    add_version_option=False,
    help="eventapp: network days and small conferences.",
)


def main() -> None:
    try:
        status = cli.main(standalone_mode=False, prog_name="eventapp")
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except OperationalError as error:
        click.echo(f"Error: database unreachable or not upgraded: {error.orig}", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)

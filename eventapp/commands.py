"""The project's commands, added to the app's CLI by create_app: the `eventapp` command
(eventapp.cli) and `flask --app eventapp` both see them."""

from __future__ import annotations

import click
from flask import Flask


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

"""The project's commands, added to the app's CLI by create_app: the `eventapp` command
(eventapp.cli) and `flask --app eventapp` both see them."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from eventapp.cli_errors import localise_app_group
from eventapp.i18n import long_date


def register_commands(app: Flask) -> None:
    """Adds the project's commands to the app's CLI, for `eventapp` and `flask --app eventapp`."""
    from eventapp.admin.allocation_cli import allocation_cli
    from eventapp.admin.cli import organiser_command
    from eventapp.admin.schedule_command import import_command
    from eventapp.backup import backup_command, restore_command
    from eventapp.calendar.commands import calendar_command
    from eventapp.interop.registrations import import_command as registrations_import
    from eventapp.mail import mail_cli
    from eventapp.proceedings.cli import proceedings_command
    from eventapp.registration.commands import registrations_cli

    localise_app_group(app)
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
        allocation_cli,
    ):
        app.cli.add_command(command)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the network day of 1 December 2015 and its upcoming copy open for registration
    (twice changes nothing)."""
    from eventapp.demo import DemoLoad, load_demo, load_upcoming_demo

    event, created = load_demo()
    if created:
        click.echo(_("Événement de démonstration « %(slug)s » chargé.", slug=event.slug))
    else:
        click.echo(
            _(
                "L'événement de démonstration « %(slug)s » est déjà là ; rien n'a changé.",
                slug=event.slug,
            )
        )
    upcoming, done = load_upcoming_demo()
    day = long_date(upcoming.starts_at, upcoming.timezone)
    lines = {
        DemoLoad.CREATED: _(
            "Événement de démonstration « %(slug)s » chargé, le %(day)s, inscriptions ouvertes.",
            slug=upcoming.slug,
            day=day,
        ),
        DemoLoad.MOVED: _(
            "Événement de démonstration « %(slug)s » déplacé au %(day)s ; ses inscriptions "
            "sont gardées et leurs calendriers mis à jour.",
            slug=upcoming.slug,
            day=day,
        ),
        DemoLoad.UNCHANGED: _(
            "L'événement de démonstration « %(slug)s » (le %(day)s) est déjà là ; rien n'a changé.",
            slug=upcoming.slug,
            day=day,
        ),
    }
    click.echo(lines[done])

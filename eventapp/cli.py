"""The `eventapp` command line: the same group as `flask --app eventapp` (its commands are
added by eventapp.commands.register_commands, which create_app calls), its errors written
in the interface's language."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from eventapp.config import ConfigError


def _create_app() -> Flask:
    from eventapp import create_app

    return create_app()


def error_line(error: click.ClickException, info: ScriptInfo | None) -> str:
    """The error as one line whose "Error:" prefix speaks the interface's language, like
    the message (click writes it in English)."""
    message = error.format_message()
    try:
        app = info.load_app() if info is not None else None
    except Exception:  # noqa: BLE001 — no app (bad configuration): click's own words
        app = None
    if app is None:
        return f"Error: {message}"
    with app.app_context():
        return _("Erreur : %(message)s", message=message)


def show_error(error: click.ClickException, info: ScriptInfo | None) -> None:
    """As ``ClickException.show``, with the prefix of :func:`error_line`."""
    if isinstance(error, click.UsageError) and error.ctx is not None:
        usage = error.ctx.get_usage()
        hint = ""
        if error.ctx.command.get_help_option(error.ctx) is not None:
            option = max(error.ctx.command.get_help_option_names(error.ctx), key=len)
            hint = f"Try '{error.ctx.command_path} {option}' for help.\n"
        click.echo(f"{usage}\n{hint}", err=True, color=error.ctx.color)
    click.echo(error_line(error, info), err=True)


class LocalisedErrors(click.Group):
    """A command group that writes its errors with :func:`show_error` in standalone mode:
    the app's own group (``app.cli``), as ``app.test_cli_runner()`` runs it. The `eventapp`
    script catches them itself (:func:`main`); ``flask --app eventapp`` keeps click's."""

    def main(self, *args: Any, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **extra)
        info = extra.get("obj")
        try:
            status = super().main(*args, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.ClickException as error:
            show_error(error, info if isinstance(info, ScriptInfo) else None)
            sys.exit(error.exit_code)
        sys.exit(status if isinstance(status, int) else 0)


class LocalisedAppGroup(LocalisedErrors, AppGroup):
    pass


def localise_app_group(app: Flask) -> None:
    """The app's command group, writing its errors as :func:`show_error` does."""
    group = LocalisedAppGroup(name=app.cli.name, help=app.cli.help)
    for command in app.cli.commands.values():
        group.add_command(command)
    app.cli = group


cli = FlaskGroup(
    name="eventapp",
    create_app=_create_app,
    add_version_option=False,
    help="eventapp: network days and small conferences.",
)


def main() -> None:
    info = ScriptInfo(create_app=_create_app, set_debug_flag=True, load_dotenv_defaults=True)
    try:
        status = cli.main(standalone_mode=False, prog_name="eventapp", obj=info)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        show_error(error, info)
        sys.exit(error.exit_code)
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except OperationalError as error:
        click.echo(f"Error: database unreachable or not upgraded: {error.orig}", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)

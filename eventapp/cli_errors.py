"""Command-line errors in the interface's language: click writes "Error:" in English before
messages that speak French, Dutch or English; these write the prefix as the message does."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from flask_babel import gettext as _


def _app(info: ScriptInfo | None) -> Flask | None:
    try:
        return info.load_app() if info is not None else None
    except Exception:  # noqa: BLE001 — no app (bad configuration): click's own words
        return None


def error_line(error: click.ClickException, info: ScriptInfo | None) -> str:
    """The error as one line whose "Error:" prefix speaks the interface's language, like
    the message (click writes it in English)."""
    app = _app(info)
    if app is None:
        return f"Error: {error.format_message()}"
    with app.app_context():
        return _("Erreur : %(message)s", message=error.format_message())


def aborted_line(info: ScriptInfo | None) -> str:
    """click's "Aborted!" (Ctrl-C, or end of input at a prompt) in the interface's language."""
    app = _app(info)
    if app is None:
        return "Aborted!"
    with app.app_context():
        return _("Interrompu.")


def unreachable_database(error: Exception, info: ScriptInfo | None) -> click.ClickException:
    """The error of a command that found no database, or one not upgraded."""
    app = _app(info)
    if app is None:
        return click.ClickException(f"database unreachable or not upgraded: {error}")
    with app.app_context():
        return click.ClickException(
            _(
                "base de données injoignable ou pas mise à jour (eventapp db upgrade) : %(reason)s",
                reason=error,
            )
        )


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
            click.echo(aborted_line(info if isinstance(info, ScriptInfo) else None), err=True)
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

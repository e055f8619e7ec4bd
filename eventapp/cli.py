"""The `eventapp` command line: the same group as `flask --app eventapp` (its commands are
added by eventapp.commands.register_commands, which create_app calls), its errors written
in the interface's language."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import OperationalError

from eventapp.cli_errors import aborted_line, show_error, unreachable_database
from eventapp.config import ConfigError


def _create_app() -> Flask:
    from eventapp import create_app

    return create_app()


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
        click.echo(aborted_line(info), err=True)
        sys.exit(1)
    except click.ClickException as error:
        show_error(error, info)
        sys.exit(error.exit_code)
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    except OperationalError as error:
        show_error(unreachable_database(error.orig, info), info)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)

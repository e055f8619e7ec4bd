"""Writing a mail's text into its outbox row: the templates ``stem``.txt and .html, and a
subject, in the recipient's language. Knows templates and languages, not what a mail says
(that is written where its subject lives, see eventapp.mail)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import force_locale

from eventapp.models import OutboxMessage


def one_line(text: str) -> str:
    """A subject as a header takes it: no line breaks, single spaces."""
    return " ".join(text.split())


def render_into(
    row: OutboxMessage,
    stem: str,
    context: dict[str, Any],
    subject: Callable[[], str],
    language: str | None,
) -> None:
    """Writes the row's text and HTML bodies (templates ``stem``.txt and .html, which see
    ``kind`` and ``context``) and its subject, in ``language`` (French when unset)."""
    env = current_app.jinja_env
    with force_locale(language or "fr"):
        context = {"kind": row.kind, **context}
        row.body_text = env.get_template(stem + ".txt").render(context)
        row.body_html = env.get_template(stem + ".html").render(context)
        row.subject = subject()

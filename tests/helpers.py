"""Helpers for tests: reading pages as a person would, counting queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from eventapp.extensions import db


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces folded."""
    from html import unescape

    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def count_queries(app: Flask):
    """Counts the SQL statements run inside the block: ``with count_queries(app) as q:``."""
    return _counter(app)


@contextmanager
def _counter(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)

"""Render once, serve many: the public pages of an event, kept per version and language.

Every request reads the event's row and its version tokens (eventapp.programme
.published_versions, one indexed query); the page is built only when no page of that version,
language and address is kept in this process (eventapp.export_cache.PageCache). A change
committed through any worker or host changes the tokens, so the next request anywhere builds
the new page: no process keeps a state that another would not see.

The answer is cacheable by a browser or a reverse proxy for a few seconds (``max-age``), with
an ETag that a conditional GET answers with 304. It sends no cookie: the page carries no
per-visitor token (the language switch is signed for the site, eventapp.public.views), and a
visitor with a pending flash message is served a page of their own, kept nowhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Response, current_app, g, request, session
from flask_babel import get_locale

from eventapp.export_cache import page_cache

#: Seconds a browser or proxy may reuse a public page without asking again.
PUBLIC_MAX_AGE = 10


#: Set in ``flask.g`` while a shared page is built: what it draws must be the same for all.
SHARED_PAGE = "eventapp_shared_page"


@dataclass(frozen=True)
class Kept:
    body: bytes
    etag: str
    mimetype: str


def page_key(kind: str, version: Hashable, *extra: Hashable) -> tuple:
    """Everything a public page depends on: which page, what version of the event, the
    language shown, the address asked (the switch returns to it; absolute links use the host),
    read from the request's environ as it came (its parts cost less so than as a URL)."""
    environ = request.environ
    return (
        kind,
        version,
        str(get_locale()),
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SCRIPT_NAME"),
        environ.get("PATH_INFO"),
        environ.get("QUERY_STRING"),
        current_app.config.get("BASE_URL"),
        *extra,
    )


def has_flashes() -> bool:
    return bool(request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])) and bool(
        session.get("_flashes")
    )


def _kept(build: Callable[[], str | bytes], mimetype: str) -> Kept:
    setattr(g, SHARED_PAGE, True)
    try:
        body = build()
    finally:
        setattr(g, SHARED_PAGE, False)
    if isinstance(body, str):
        body = body.encode()
    return Kept(body, hashlib.sha256(body).hexdigest()[:32], mimetype)


def cached_response(
    key: tuple, build: Callable[[], str | bytes], mimetype: str = "text/html"
) -> Response:
    """The page of this key, built with ``build()`` once per process, answered with
    ``Cache-Control: public, max-age``, an ETag, and 304 to a conditional GET that has it."""
    if has_flashes():  # a message for this visitor only: neither kept nor shared
        response = Response(build(), mimetype=mimetype)
        response.cache_control.private = True
        response.cache_control.no_cache = True
        return response
    kept = page_cache().get(key, lambda: _kept(build, mimetype))
    response = Response(kept.body, mimetype=kept.mimetype)
    response.set_etag(kept.etag)
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    # The language comes from ?lang= (in the address), the switch's cookie or the browser's.
    response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)

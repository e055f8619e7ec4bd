"""Values read from the request that the views turn into ids or redirects: untrusted, so
read here by one rule each."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from flask import request

# An id as it appears in our URLs and forms: ASCII digits only (str.isdigit also takes
# "²", which int() refuses) and short enough for any database integer.
_ID = re.compile(r"[0-9]{1,9}")
# Characters a browser drops or reads as a separator inside a URL ("/\t/evil.com" becomes
# "//evil.com"), besides the backslash some read as a slash.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def parse_id(value: object) -> int | None:
    """The id written in ``value``, or None when it is not one."""
    text = value if isinstance(value, str) else ""
    return int(text) if _ID.fullmatch(text) else None


def same_site_path(target: str | None, prefix: str = "/") -> str | None:
    """``target`` when it is a path of this site under ``prefix``, else None: the only
    redirect targets taken from a request, so that none leads to another site."""
    if not target or not target.startswith(prefix) or target.startswith("//"):
        return None
    if _UNSAFE_IN_PATH.search(target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def current_path() -> str:
    """This request's path and query as a URL (the path percent-encoded again), to come
    back to after a form."""
    path = quote(request.path, safe="/%!$&'()*+,:;=@~")
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path

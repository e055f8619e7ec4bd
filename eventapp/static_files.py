"""Static files with content-hashed URLs, cached for a year by browsers and proxies.

``url_for('static', filename=…)`` gains ``?v=<hash of the file>``: a changed file gets a new
URL, so an unchanged one can be cached "forever" without ever serving a stale asset.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    static_root = Path(app.static_folder or "")
    hashes: dict[str, str] = {}  # file contents only: the same for every worker and request

    def version_of(filename: str) -> str | None:
        if filename not in hashes:
            path = static_root / filename
            if not path.is_file():
                return None
            hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return hashes[filename]

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = version_of(values["filename"])
            if version:
                values["v"] = version

    default_max_age = app.get_send_file_max_age

    def current_version_asked(filename: str | None) -> bool:
        return bool(filename) and request.args.get("v") == version_of(filename)

    def max_age(filename: str | None) -> int | None:
        return ONE_YEAR if current_version_asked(filename) else default_max_age(filename)

    app.get_send_file_max_age = max_age  # type: ignore[method-assign]

    @app.after_request
    def immutable_static(response):
        if (
            request.endpoint == "static"
            and response.status_code == 200
            and current_version_asked((request.view_args or {}).get("filename"))
        ):
            response.cache_control.immutable = True
        return response

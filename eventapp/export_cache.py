"""Generated files (PDFs, calendars) kept under EXPORTS_DIR, one file per content key.

A file is written under a temporary name and renamed into place, so a reader never sees a
half-written file, even when two workers build the same one at once. The files are shared by
every worker and host that shares the folder; nothing is kept in a process.
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from flask import Response, current_app, request

#: Superseded files are removed once this old, so a worker still sending one finishes.
STALE_AFTER_SECONDS = 300


def cache_path(directory: Path, stem: str, key: str, suffix: str) -> Path:
    return directory / f"{stem}-{key[:32]}{suffix}"


def cached_file(
    directory: Path, stem: str, key: str, build: Callable[[], bytes], suffix: str
) -> Path:
    """The file of this key, built with ``build()`` the first time."""
    path = cache_path(directory, stem, key, suffix)
    if path.is_file():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    data = build()
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _remove_superseded(directory, stem, suffix, keep=path)
    return path


def _remove_superseded(directory: Path, stem: str, suffix: str, keep: Path) -> None:
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{32}" + re.escape(suffix))
    cutoff = time.time() - STALE_AFTER_SECONDS
    for candidate in directory.iterdir():
        if candidate == keep or not pattern.fullmatch(candidate.name):
            continue
        try:
            if candidate.stat().st_mtime < cutoff:
                candidate.unlink()
        except FileNotFoundError:
            pass  # another worker removed it first


class PageCache:
    """Rendered pages kept in this process, the least recently used dropped first.

    A key must hold every input of what is kept, among them a version read from the
    database on the request that asks (eventapp.models.version): a change committed by
    another worker or host gives a new key, so an entry is never invalidated, only left to
    age out. What is kept here is a copy of what the database says, never a state of its own.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: Pages kept per application (each gunicorn worker has its own; so has each test app).
EXTENSION = "eventapp.pages"


def page_cache() -> PageCache:
    """This application's PageCache (``PUBLIC_PAGE_CACHE_SIZE`` entries, 512 by default)."""
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        size = current_app.config.get("PUBLIC_PAGE_CACHE_SIZE", 512)
        cache = current_app.extensions.setdefault(EXTENSION, PageCache(size=size))
    return cache


def accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def gzip_kept_page(response: Response) -> Response:
    """A shared page (``Cache-Control: public`` with a strong ETag, which is a hash of its
    body) compressed once per content and kept, not again for every visitor as Flask-Compress
    would: the same bytes, the same ``"<etag>:gzip"`` validator and the same 304 to a
    conditional GET that has it. Registered after Flask-Compress so that it runs first; an
    answer it leaves alone (private, streamed, small, not asked gzipped) is Flask-Compress's."""
    config = current_app.config
    etag, weak = response.get_etag()
    if (
        response.status_code != 200
        or not etag
        or weak
        or not response.cache_control.public
        or response.is_streamed
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
        or response.mimetype not in config["COMPRESS_MIMETYPES"]
        or not accepts_gzip()
    ):
        return response
    body = response.get_data()
    if len(body) < config["COMPRESS_MIN_SIZE"]:
        return response
    level = config["COMPRESS_LEVEL"]
    # No modification time in the header: every worker and host sends the same bytes.
    compressed = page_cache().get(
        ("gzip", etag, level), lambda: gzip.compress(body, level, mtime=0)
    )
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{etag}:gzip")
    return response.make_conditional(request)

"""The PDF cache: one file per content key under EXPORTS_DIR, written atomically.

The key is a hash of everything the PDF shows (the assembled HTML, the package's CSS and
fonts, the renderer's version and the PDF variant): as long as nothing changes, downloads
are served from the same file under the same ETag. A file is written under a temporary
name and renamed into place, so a reader never sees a half-written PDF, even when two
workers build the same one at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from eventapp.proceedings.assets import ASSETS, asset_bytes

#: Superseded files are removed once this old, so a worker still sending one finishes.
STALE_AFTER_SECONDS = 300


@cache
def _assets_digest() -> bytes:
    digest = hashlib.sha256(version("weasyprint").encode())
    for name in ASSETS:
        digest.update(name.encode() + b"\0" + asset_bytes(name))
    return digest.digest()


def content_key(html: str, variant: str) -> str:
    """The hex key of a PDF: changes whenever anything it would show changes."""
    digest = hashlib.sha256(_assets_digest())
    digest.update(variant.encode() + b"\0")
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def cache_path(directory: Path, stem: str, key: str) -> Path:
    return directory / f"{stem}-{key[:32]}.pdf"


def cached_pdf(directory: Path, stem: str, key: str, build: Callable[[], bytes]) -> Path:
    """The file of this key, built with ``build()`` the first time."""
    path = cache_path(directory, stem, key)
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
    _remove_superseded(directory, stem, keep=path)
    return path


def _remove_superseded(directory: Path, stem: str, keep: Path) -> None:
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{32}\.pdf")
    cutoff = time.time() - STALE_AFTER_SECONDS
    for candidate in directory.iterdir():
        if candidate == keep or not pattern.fullmatch(candidate.name):
            continue
        try:
            if candidate.stat().st_mtime < cutoff:
                candidate.unlink()
        except FileNotFoundError:
            pass  # another worker removed it first

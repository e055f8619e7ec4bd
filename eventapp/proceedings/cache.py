"""The PDF cache: one file per content key under EXPORTS_DIR (eventapp.export_cache).

The key is a hash of everything the PDF shows (the assembled HTML, the package's CSS and
fonts, the renderer's version and the PDF variant): as long as nothing changes, downloads
are served from the same file under the same ETag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

from eventapp.export_cache import cached_file
from eventapp.proceedings.assets import ASSETS, asset_bytes


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


def cached_pdf(directory: Path, stem: str, key: str, build: Callable[[], bytes]) -> Path:
    """The PDF of this key, built with ``build()`` the first time (see eventapp.export_cache)."""
    return cached_file(directory, stem, key, build, suffix=".pdf")

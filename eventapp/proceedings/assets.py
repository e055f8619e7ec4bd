"""The files the compte-rendu's renderer may load: its print CSS and its fonts, nothing else."""

from __future__ import annotations

from importlib.resources import files

ASSET_SCHEME = "eventapp-asset:"
ASSETS = (
    "proceedings.css",
    "certificate.css",
    "fonts/NotoSans-Regular.ttf",
    "fonts/NotoSans-Italic.ttf",
    "fonts/NotoSans-Bold.ttf",
    "fonts/NotoSans-BoldItalic.ttf",
)
MEDIA_TYPES = {".css": "text/css", ".ttf": "font/ttf"}

#: Accessible (tagged PDF/UA-1) by default; the archival variant is PDF/A-3a, also tagged.
VARIANTS = {"accessible": "pdf/ua-1", "archival": "pdf/a-3a"}


class RefusedURL(ValueError):
    """A URL that is not one of the package's own assets."""


def asset_bytes(name: str) -> bytes:
    """An asset's content, by its exact name in ASSETS (no path is ever built from input)."""
    if name not in ASSETS:
        raise RefusedURL(name)
    return files("eventapp.proceedings").joinpath(name).read_bytes()

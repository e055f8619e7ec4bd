"""The compte-rendu (proceedings) of an event: assembly (HTML), rendering (PDF), cache.

``proceedings_file(event)`` is what the download view and the command line call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from eventapp.models import Event
from eventapp.proceedings.assembly import proceedings_html, proceedings_language
from eventapp.proceedings.assets import VARIANTS
from eventapp.proceedings.cache import cached_pdf, content_key
from eventapp.proceedings.notify import publish_proceedings  # registers the notice's composer

__all__ = [
    "VARIANTS",
    "ProceedingsFile",
    "proceedings_file",
    "proceedings_html",
    "publish_proceedings",
]


@dataclass(frozen=True)
class ProceedingsFile:
    path: Path
    etag: str
    lang: str


def proceedings_file(
    event: Event, variant: str = "accessible", lang: str | None = None
) -> ProceedingsFile:
    """The event's compte-rendu as a PDF file under EXPORTS_DIR, rebuilt only on change;
    in ``lang`` when the event declares it, else in its first language."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown PDF variant {variant!r}; choose from {', '.join(VARIANTS)}")
    from eventapp.proceedings.render import render_pdf  # loads WeasyPrint

    lang = proceedings_language(event, lang)
    html = proceedings_html(event, lang)
    key = content_key(html, variant)
    path = cached_pdf(
        Path(current_app.config["EXPORTS_DIR"]),
        f"proceedings-{event.slug}-{lang}-{variant}",
        key,
        lambda: render_pdf(html, variant=variant, identifier=key[:32].encode()),
    )
    return ProceedingsFile(path, key[:32], lang)

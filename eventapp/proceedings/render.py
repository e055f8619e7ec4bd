"""Rendering the compte-rendu's HTML to PDF with WeasyPrint (imported only when rendering:
WeasyPrint takes half a second to load, which the app and the other commands need not pay).

Everything the renderer may load comes from this package (the print CSS and the bundled
fonts) through the ``eventapp-asset:`` scheme; any other URL met in the content (``file:``,
``http(s):``, ``data:``…) is refused without being opened.
"""

from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from eventapp.proceedings.assets import (
    ASSET_SCHEME,
    ASSETS,
    MEDIA_TYPES,
    VARIANTS,
    RefusedURL,
    asset_bytes,
)

__all__ = ["VARIANTS", "AssetFetcher", "RefusedURL", "render_pdf"]


class AssetFetcher(URLFetcher):
    """Serves the package's assets, refuses everything else; records what it was asked."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        name = url[len(ASSET_SCHEME) :] if url.startswith(ASSET_SCHEME) else None
        if name not in ASSETS:
            self.refused.append(url)
            raise RefusedURL(f"the compte-rendu loads only its own assets, not {url[:200]!r}")
        suffix = name[name.rfind(".") :]
        return URLFetcherResponse(
            url, asset_bytes(name), headers={"Content-Type": MEDIA_TYPES[suffix]}
        )


def render_pdf(
    html: str,
    *,
    variant: str = "accessible",
    identifier: bytes | None = None,
    fetcher: AssetFetcher | None = None,
) -> bytes:
    """The PDF of a compte-rendu's HTML, in one of VARIANTS."""
    fetcher = fetcher or AssetFetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url=ASSET_SCHEME)
    # The dates come from the HTML's dcterms metadata and the identifier from the cache
    # key, so the same content gives the same bytes (checked by the download tests).
    return document.write_pdf(pdf_variant=VARIANTS[variant], pdf_identifier=identifier)

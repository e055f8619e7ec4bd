"""Rendering the compte-rendu's HTML to PDF with WeasyPrint.

Everything the renderer may load comes from this package (the print CSS and the bundled
fonts) through the ``eventapp-asset:`` scheme; any other URL met in the content (``file:``,
``http(s):``, ``data:``…) is refused without being opened.
"""

from __future__ import annotations

from importlib.resources import files

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME = "eventapp-asset:"
ASSETS = (
    "proceedings.css",
    "fonts/NotoSans-Regular.ttf",
    "fonts/NotoSans-Italic.ttf",
    "fonts/NotoSans-Bold.ttf",
    "fonts/NotoSans-BoldItalic.ttf",
)
_MEDIA_TYPES = {".css": "text/css", ".ttf": "font/ttf"}

#: Accessible (tagged) by default; the archival variant is PDF/A-3a, also tagged.
VARIANTS = {"accessible": "pdf/ua-1", "archival": "pdf/a-3a"}


class RefusedURL(ValueError):
    """A URL that is not one of the package's own assets."""


def asset_bytes(name: str) -> bytes:
    if name not in ASSETS:
        raise RefusedURL(name)
    return files("eventapp.proceedings").joinpath(name).read_bytes()


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
            url, asset_bytes(name), headers={"Content-Type": _MEDIA_TYPES[suffix]}
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
    return document.write_pdf(
        pdf_variant=VARIANTS[variant],
        pdf_identifier=identifier,
        # Reproducible bytes for the same input: the cache's ETag stays meaningful.
        uncompressed_pdf=False,
    )

"""The compte-rendu's download (the PDF once the organisers publish it, 404 before) and a
participant's attendance certificate."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, abort, current_app, send_file
from flask_babel import get_locale

from eventapp.export_cache import page_cache
from eventapp.models import Event
from eventapp.proceedings import ProceedingsFile, proceedings_file, proceedings_language
from eventapp.proceedings.certificates import certificates_pdf, has_certificate
from eventapp.programme import published_event, published_versions
from eventapp.registration.queries import find_by_token

bp = Blueprint("proceedings", __name__)


#: What the download reads of the event on every request (with its version).
_DOWNLOAD_COLUMNS = (
    Event.id,
    Event.created_at,
    Event.updated_at,
    Event.languages,
    Event.proceedings_published,
)


@bp.get("/events/<slug>/proceedings.pdf")
def download(slug: str) -> Response:
    """The PDF of the event's version in the visitor's language. A request reads the version
    row; the file of that version (found by the hash of the document, eventapp.proceedings
    .cache) is looked up once per worker, not assembled again for every download: the
    programme version covers everything the document is made of."""
    versions = published_versions(slug, columns=_DOWNLOAD_COLUMNS)
    if versions is None or not versions.event.proceedings_published:
        abort(404)
    # In the page's language (?lang=, the switch, the browser) when the event has it.
    lang = proceedings_language(versions.event, str(get_locale()))

    def located() -> ProceedingsFile:
        event = published_event(slug)
        if event is None:  # unpublished since the version was read
            abort(404)
        return proceedings_file(event, lang=lang)

    folder = current_app.config["EXPORTS_DIR"]
    pdf = page_cache().get(("proceedings.pdf", versions.key, lang, folder), located)
    if not pdf.path.is_file():  # the exports folder was emptied: built again, same path
        pdf = located()
    first = proceedings_language(versions.event, None)
    suffix = "" if pdf.lang == first else f"-{pdf.lang}"
    response = send_file(
        pdf.path,
        mimetype="application/pdf",
        download_name=f"compte-rendu-{slug}{suffix}.pdf",
        etag=pdf.etag,
        conditional=True,
        max_age=0,
    )
    response.headers["Content-Language"] = pdf.lang
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.get("/r/<token>/certificate.pdf")
def certificate(token: str) -> Response:
    """The participant's attendance certificate: only once checked in, 404 otherwise."""
    registration = find_by_token(token)
    if registration is None or not has_certificate(registration):
        abort(404)
    pdf = certificates_pdf(registration.event, [registration])
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        download_name=f"attestation-{registration.event.slug}.pdf",
        max_age=0,
    )
    # The link carries the participant's secret: not cached (nor sent on as Referer:
    # eventapp.security).
    response.headers["Cache-Control"] = "no-store"
    return response

"""The compte-rendu's download (the PDF once the organisers publish it, 404 before) and a
participant's attendance certificate."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, abort, send_file
from flask_babel import get_locale

from eventapp.proceedings import proceedings_file
from eventapp.proceedings.certificates import certificates_pdf, has_certificate
from eventapp.programme import published_event
from eventapp.registration.queries import find_by_token

bp = Blueprint("proceedings", __name__)


@bp.get("/events/<slug>/proceedings.pdf")
def download(slug: str) -> Response:
    event = published_event(slug)
    if event is None or not event.proceedings_published:
        abort(404)
    # In the page's language (?lang=, the switch, the browser) when the event has it.
    pdf = proceedings_file(event, lang=str(get_locale()))
    suffix = "" if pdf.lang == event.language_list[0] else f"-{pdf.lang}"
    response = send_file(
        pdf.path,
        mimetype="application/pdf",
        download_name=f"compte-rendu-{event.slug}{suffix}.pdf",
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

"""The compte-rendu's download (the PDF once the organisers publish it, 404 before) and a
participant's attendance certificate."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Response, abort, send_file

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
    pdf = proceedings_file(event)
    return send_file(
        pdf.path,
        mimetype="application/pdf",
        download_name=f"compte-rendu-{event.slug}.pdf",
        etag=pdf.etag,
        conditional=True,
        max_age=0,
    )


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
    # The link carries the participant's secret: not cached, not sent on as Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

"""The compte-rendu's download: the PDF once the organisers publish it, 404 before."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from eventapp.proceedings import proceedings_file
from eventapp.programme import published_event

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

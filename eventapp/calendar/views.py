"""Calendar feeds: the whole programme and one item, as iCalendar, with conditional GETs.

GET /events/<slug>/calendar.ics            the whole programme (subscribe with webcal://)
GET /events/<slug>/items/<item_id>.ics     one programme item
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request, url_for

from eventapp.calendar import changes  # noqa: F401  (keeps SEQUENCE growing on every flush)
from eventapp.calendar.ics import calendar_last_modified, item_calendar, programme_calendar
from eventapp.models import Event
from eventapp.programme import published_event

bp = Blueprint("calendar", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


def ics_response(body: bytes, filename: str, last_modified: datetime) -> Response:
    """The calendar with a strong ETag (its digest) and Last-Modified; 304 when unchanged."""
    response = Response(body, content_type=CONTENT_TYPE)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = last_modified
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


def _event_or_404(slug: str) -> Event:
    event = published_event(slug)
    if event is None:
        abort(404)
    return event


@bp.get("/events/<slug>/calendar.ics")
def programme(slug: str) -> Response:
    event = _event_or_404(slug)
    body = programme_calendar(event, current_app.config["BASE_URL"])
    return ics_response(body, f"{event.slug}.ics", calendar_last_modified(event, event.items))


@bp.get("/events/<slug>/items/<int:item_id>.ics")
def item(slug: str, item_id: int) -> Response:
    event = _event_or_404(slug)
    found = next((item for item in event.items if item.id == item_id), None)
    if found is None:
        abort(404)
    body = item_calendar(event, found, current_app.config["BASE_URL"])
    filename = f"{event.slug}-{found.id}.ics"
    return ics_response(body, filename, calendar_last_modified(event, [found]))


@bp.app_template_global()
def webcal_url(endpoint: str, **values: object) -> str:
    """The absolute address of a feed with the webcal:// scheme, which calendar apps
    open as a subscription (updated by itself) rather than a one-off import."""
    url = url_for(endpoint, _external=True, **values)
    return "webcal://" + url.split("://", 1)[1]

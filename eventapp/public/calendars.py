"""Calendar feeds: the whole programme and one item, as iCalendar, with conditional GETs.

GET /events/<slug>/calendar.ics            the whole programme (subscribe with webcal://)
GET /events/<slug>/items/<item_id>.ics     one programme item
GET /r/<token>/calendar.ics                a participant's own agenda (secret link)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import get_locale

from eventapp.calendar import (
    changes,  # noqa: F401  (keeps SEQUENCE growing on every flush)
    notify,  # noqa: F401  (mails the updates those changes call for)
)
from eventapp.calendar.feed_cache import cached_programme
from eventapp.calendar.ics import (
    Attendee,
    agenda_items,
    calendar_language,
    calendar_last_modified,
    item_calendar,
    personal_calendar,
    programme_calendar,
)
from eventapp.calendar.notify import feed_sequences
from eventapp.export_cache import page_cache
from eventapp.models import Event, RegistrationStatus
from eventapp.programme import (
    load_speakers,
    programme_entries,
    published_event,
    published_event_row,
    published_versions,
)
from eventapp.registration import find_by_token

bp = Blueprint("calendar", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


def feed_etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def ics_response(
    body: bytes, filename: str, last_modified: datetime, etag: str | None = None
) -> Response:
    """The calendar with a strong ETag (its digest, unless given) and Last-Modified; 304 when
    unchanged."""
    response = Response(body, content_type=CONTENT_TYPE)
    response.set_etag(etag or feed_etag(body))
    response.last_modified = last_modified
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


@dataclass(frozen=True)
class KeptFeed:
    """The programme feed of one version and language as this worker serves it: read from
    its file (shared by workers and hosts) once, not on every poll."""

    body: bytes
    etag: str
    last_modified: datetime


def _event_or_404(slug: str) -> Event:
    event = published_event(slug)
    if event is None:
        abort(404)
    return event


@bp.get("/events/<slug>/calendar.ics")
def programme(slug: str) -> Response:
    """The feed of the programme's version: a request reads the version row, and the feed
    kept by this worker for that version and language. A worker reads the feed once from its
    file under EXPORTS_DIR (written by whichever worker or host built it first); the
    programme itself is loaded only when the feed is built, or for its Last-Modified when
    this worker first serves a version."""
    versions = published_versions(slug)
    if versions is None:
        abort(404)
    base_url = current_app.config["BASE_URL"]
    loaded: list = []

    def event() -> Event:
        if not loaded:
            row = published_event_row(slug)
            if row is None:
                abort(404)
            loaded.extend((row, programme_entries(row)))
        return loaded[0]

    def items() -> list:
        event()
        return loaded[1]

    # In the visitor's language (?lang=, the switch, the browser) when the event has it.
    lang = calendar_language(versions.event, str(get_locale()))

    def kept() -> KeptFeed:
        body = cached_programme(
            versions.event,
            base_url,
            lambda: programme_calendar(event(), base_url, lang, items()),
            programme=versions.programme,
            lang=lang,
        )
        return KeptFeed(body, feed_etag(body), calendar_last_modified(event(), items()))

    feed = page_cache().get(("calendar.ics", versions.key, lang, base_url), kept)
    response = ics_response(feed.body, f"{slug}.ics", feed.last_modified, feed.etag)
    # The same feed for everyone: shared caches may keep it (clients still revalidate it,
    # no-cache), and its gzip is kept once (eventapp.export_cache.gzip_kept_page).
    response.cache_control.public = True
    response.headers["Content-Language"] = lang
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.get("/events/<slug>/items/<int:item_id>.ics")
def item(slug: str, item_id: int) -> Response:
    event = _event_or_404(slug)
    found = next((item for item in event.items if item.id == item_id), None)
    if found is None:
        abort(404)
    body = item_calendar(event, found, current_app.config["BASE_URL"], str(get_locale()))
    filename = f"{event.slug}-{found.id}.ics"
    return ics_response(body, filename, calendar_last_modified(event, [found]))


@bp.get("/r/<token>/calendar.ics")
def personal(token: str) -> Response:
    """The person's agenda: plenaries, breaks and their own workshops, nobody else's data.
    Once the registration is cancelled every item says CANCELLED (subscribed clients then
    remove them) rather than the feed disappearing."""
    registration = find_by_token(token)
    if registration is None or registration.erased_at is not None:
        abort(404)
    event = registration.event
    chosen = [choice.item for choice in registration.choices]
    agenda = load_speakers(agenda_items(event, chosen))
    body = personal_calendar(
        event,
        chosen,
        registration_cancelled=registration.status == RegistrationStatus.CANCELLED,
        waitlisted=registration.status == RegistrationStatus.WAITLISTED,
        attendee=Attendee(name=registration.full_name, email=registration.email),
        base_url=current_app.config["BASE_URL"],
        sequences=feed_sequences(registration, agenda),
        lang=registration.language,
    )
    changed = calendar_last_modified(event, agenda_items(event, chosen))
    changed = max(changed, registration.updated_at.astimezone(UTC).replace(microsecond=0))
    response = ics_response(body, f"{event.slug}-agenda.ics", changed)
    # The link is secret: no shared cache keeps it (nor is it sent as Referer:
    # eventapp.security).
    response.cache_control.private = True
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_global()
def webcal_url(endpoint: str, **values: object) -> str:
    """The absolute address of a feed with the webcal:// scheme, which calendar apps
    open as a subscription (updated by itself) rather than a one-off import."""
    url = url_for(endpoint, _external=True, **values)
    return "webcal://" + url.split("://", 1)[1]

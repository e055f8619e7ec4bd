"""The programme in the schedule formats of conference tools, for apps and other sites."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, request

from eventapp.export_cache import page_cache
from eventapp.interop.c3voc_json import to_json
from eventapp.interop.frab_xml import to_xml
from eventapp.interop.schedule import schedule_of
from eventapp.programme import published_event, published_versions

bp = Blueprint("interop", __name__)


def _schedule(slug: str):
    event = published_event(slug)
    if event is None:
        abort(404)
    # ?lang= only: a feed read by apps, the same for every visitor without it.
    return schedule_of(event, current_app.config["BASE_URL"], request.args.get("lang"))


def _cached(slug: str, kind: str, write: Callable[[object], bytes], mimetype: str) -> Response:
    """The export built once per version of the programme (eventapp.models.version, read on
    every request) and kept in this process; a conditional GET that has it gets a 304."""
    versions = published_versions(slug)
    if versions is None:
        abort(404)
    base_url = current_app.config["BASE_URL"]
    key = (kind, versions.key, base_url, request.args.get("lang"))

    def build() -> tuple[bytes, str]:
        body = write(_schedule(slug))
        return body, hashlib.sha256(body).hexdigest()[:32]

    body, etag = page_cache().get(key, build)
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 10  # a proxy's micro-cache may keep it (README)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/events/<slug>/schedule.xml")
def schedule_xml(slug: str) -> Response:
    return _cached(slug, "schedule.xml", to_xml, "application/xml")


def _json(schedule) -> bytes:
    return json.dumps(to_json(schedule), ensure_ascii=False, indent=1).encode()


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str) -> Response:
    return _cached(slug, "schedule.json", _json, "application/json")

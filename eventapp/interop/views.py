"""The programme in the schedule formats of conference tools, for apps and other sites."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, request

from eventapp.interop.c3voc_json import to_json
from eventapp.interop.frab_xml import to_xml
from eventapp.interop.schedule import schedule_of
from eventapp.programme import published_event

bp = Blueprint("interop", __name__)


def _schedule(slug: str):
    event = published_event(slug)
    if event is None:
        abort(404)
    # ?lang= only: a feed read by apps, the same for every visitor without it.
    return schedule_of(event, current_app.config["BASE_URL"], request.args.get("lang"))


def _conditional(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.add_etag()
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/events/<slug>/schedule.xml")
def schedule_xml(slug: str) -> Response:
    return _conditional(to_xml(_schedule(slug)), "application/xml")


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str) -> Response:
    body = json.dumps(to_json(_schedule(slug)), ensure_ascii=False, indent=1).encode()
    return _conditional(body, "application/json")

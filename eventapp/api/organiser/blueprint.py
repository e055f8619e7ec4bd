"""The organisers' API blueprint, with a personal bearer token: what every call shares
(the token checked first, the errors it may answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_smorest import Blueprint, abort

from eventapp.api.common import BEARER, PROBLEM_JSON, check_body, current_organiser
from eventapp.api.schemas import ProblemSchema
from eventapp.extensions import db

blp = Blueprint(
    "api_organiser",
    __name__,
    description="Organisers: their events, programmes and registrations (bearer token)",
)
blp.before_request(check_body)

SECURED = {"security": [{BEARER: []}]}


def problem(status: int, description: str) -> dict[str, Any]:
    return {"schema": ProblemSchema, "content_type": PROBLEM_JSON, "description": description}


def secured(view):
    """Documents the token, the errors every organiser call can answer, and checks the
    token before anything else (so a missing token is 401 even with a faulty body)."""
    view = blp.doc(**SECURED)(view)
    for status, description in (
        (401, "Missing, unknown or revoked token"),
        (404, "No such event among those the token's owner manages"),
        (413, "Body over the size limit"),
        (415, "Body not JSON"),
    ):
        view = blp.alt_response(status, **problem(status, description))(view)
    return view


@blp.before_request
def _authenticate() -> None:
    current_organiser()


def aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=tz)


def invalid(errors: dict[str, Any], message: str = "Some fields are not valid.") -> None:
    abort(422, message=message, errors=errors)


MAX_ID = 2**31 - 1  # an integer column's range on every database


def get_row(model, row_id: int):
    """The row of this id, or None (also for an id no column could hold)."""
    return db.session.get(model, row_id) if 0 < row_id <= MAX_ID else None

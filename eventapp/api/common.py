"""What every writing endpoint of the API shares: JSON bodies only, a size limit, the
bearer token of an organiser, and which events that organiser may touch."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import abort

from eventapp.admin.accounts import can_manage
from eventapp.admin.api_tokens import user_for_secret
from eventapp.admin.two_factor import two_factor_required
from eventapp.models import Event, User
from eventapp.programme import event_by_slug

API_PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
BEARER = "bearerAuth"
API_MAX_BODY_BYTES = 1024 * 1024
WWW_AUTHENTICATE = 'Bearer realm="eventapp"'


def check_body() -> None:
    """Before a writing call: 413 over the size limit, 415 for anything but JSON."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    limit = int(current_app.config.get("API_MAX_BODY_BYTES", API_MAX_BODY_BYTES))
    length = request.content_length
    if length is not None and length > limit:
        abort(413, message=f"The body is {length} bytes; the limit is {limit} bytes.")
    request.max_content_length = limit
    if length and not request.is_json:
        abort(
            415,
            message="Send the body as JSON (Content-Type: application/json); "
            "form-encoded bodies are refused.",
        )


def _unauthorised(message: str) -> None:
    abort(401, message=message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def current_organiser() -> User:
    """The organiser whose live token came in ``Authorization: Bearer …`` (else 401)."""
    if "organiser" in g:
        return g.organiser
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        _unauthorised("This call needs an organiser's API token: Authorization: Bearer …")
    if scheme.lower() != "bearer" or not secret.strip():
        _unauthorised("The Authorization header must be: Bearer <token>.")
    user = user_for_secret(secret.strip())
    if user is None:
        _unauthorised("This token is unknown or revoked.")
    if not user.two_factor_enabled and two_factor_required():
        # A token must not be the way round the sign-in rule the administrators set.
        abort(
            403,
            message="Two-factor sign-in is required on this site and this token's account "
            "has not enrolled: sign in to the organiser area and enrol, then the token works.",
        )
    g.organiser = user
    return user


def managed_event(slug: str) -> Event:
    """The event if the token's organiser manages it (administrators: all). Another
    organiser's event answers 404 like a missing one, as in the organiser area: slugs
    of drafts reveal nothing."""
    user = current_organiser()
    event = event_by_slug(slug)
    if event is None or not can_manage(user, event):
        abort(404, message=f"You manage no event with the slug {slug!r}.")
    return event

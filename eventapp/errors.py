"""Error answers: pages in the site's style, RFC 9457 problem documents under /api/."""

from __future__ import annotations

from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from eventapp.api import API_PREFIX


def problem(error: HTTPException) -> Response:
    """An application/problem+json answer; field errors from webargs go under "errors"."""
    body: dict = {
        "type": "about:blank",
        "title": error.name,
        "status": error.code,
        "detail": error.description,
    }
    data = getattr(error, "data", None) or {}
    if "message" in data:
        body["detail"] = data["message"]
    errors = data.get("errors") or data.get("messages")
    if errors:
        # webargs nests messages by location (json, query…); a client wants the fields.
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "headers"}:
            folded: dict = {}
            for location, messages in errors.items():
                # A body that is not JSON at all has messages for the location itself.
                folded.update(messages if isinstance(messages, dict) else {location: messages})
            errors = folded
            if list(errors) == ["json"] and isinstance(errors["json"], list):
                body["detail"] = " ".join(str(m) for m in errors.pop("json"))
        if errors:
            body["errors"] = errors
    response = jsonify(body)
    response.status_code = error.code or 500
    response.mimetype = "application/problem+json"
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    @app.before_request
    def pages_take_form_data():
        # Flask-WTF reads a JSON body as the form's fields and breaks on any other shape
        # than an object of strings; the pages' forms are sent as form data, so a JSON body
        # is refused there before any form reads it (the API, under /api/, takes JSON).
        if (
            request.routing_exception is None  # a 404 or 405 is answered as such
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and request.is_json
            and not request.path.startswith(API_PREFIX + "/")
        ):
            abort(415)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith(API_PREFIX + "/"):
            return problem(error)
        return render_template("errors/error.html", error=error), error.code

"""The organiser area's blueprint under /admin/: every page but the login needs one."""

from __future__ import annotations

import os

from flask import Blueprint, request
from flask_login import current_user

from eventapp.extensions import db, login_manager
from eventapp.request_input import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.record_once
def _configure(state) -> None:
    app = state.app
    # Secure cookies whenever the site is served over https, unless explicitly configured.
    if "EVENTAPP_SESSION_COOKIE_SECURE" not in os.environ and str(
        app.config.get("BASE_URL", "")
    ).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config.setdefault("ADMIN_LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)


@login_manager.user_loader
def _load_user(user_id: str):
    from eventapp.models import User

    number = parse_id(user_id)
    if number is None:
        return None
    user = db.session.get(User, number)
    return user if user is not None and user.active else None


@bp.before_request
def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response

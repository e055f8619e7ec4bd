"""The organiser area's blueprint under /admin/: every page but the login needs one."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from eventapp.extensions import db, login_manager
from eventapp.request_input import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")

PUBLIC_ENDPOINTS = {"admin.login"}
#: What an account may reach while it must enrol in two-factor sign-in (an administrator
#: requires it and the account signed in without it): enrolling, and logging out.
ENROLMENT_ENDPOINTS = {"admin.logout"}


@bp.record_once
def _configure(state) -> None:
    # Cookies' Secure flag: eventapp.config (on when BASE_URL is https).
    app = state.app
    app.config.setdefault("ADMIN_LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
    # Globals, not a context processor: the form macros are imported without a context.
    from eventapp.admin.translations import is_translation, translation_fields

    app.jinja_env.globals.update(
        is_translation=is_translation, translation_fields=translation_fields
    )


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
    if (
        session.get("must_enrol")
        and not current_user.two_factor_enabled
        and request.endpoint not in ENROLMENT_ENDPOINTS
    ):
        return redirect(url_for("admin.two_factor_enrol"))
    return None


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response

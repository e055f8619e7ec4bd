"""Organiser area: one's own account (password, two-factor sign-in), the second step of
signing in, and the administrators' two-factor actions on the accounts page.

GET      /admin/account                         the account: password, two-factor sign-in
POST     /admin/account/password                changes the password
GET,POST /admin/account/two-factor              enrolment: the secret, then a code confirms
POST     /admin/account/two-factor/disable      on a current code
POST     /admin/account/two-factor/recovery-codes   new recovery codes, on a current code
GET,POST /admin/login/code                      the second step of signing in
POST     /admin/accounts/two-factor-required    administrators: require it of every account
POST     /admin/accounts/<id>/two-factor/reset  administrators: reset an account's enrolment
"""

from __future__ import annotations

import time

import segno
from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from markupsafe import Markup

from eventapp.admin import two_factor
from eventapp.admin.accounts import AccountError, PasswordRefused, change_password
from eventapp.admin.blueprint import ENROLMENT_ENDPOINTS, PUBLIC_ENDPOINTS, bp
from eventapp.admin.forms import (
    ActionForm,
    CodeForm,
    PasswordChangeForm,
    SignInCodeForm,
    SwitchForm,
)
from eventapp.extensions import db, limiter
from eventapp.models import User

#: How long the second step of signing in waits for its code after the password.
PENDING_SECONDS = 300
PENDING_KEY = "two_factor_pending"

PUBLIC_ENDPOINTS.add("admin.login_code")
ENROLMENT_ENDPOINTS.add("admin.two_factor_enrol")


def _login_limit() -> str:
    return current_app.config["ADMIN_LOGIN_RATE_LIMIT"]


def _pending_account_key() -> str:
    pending = session.get(PENDING_KEY) or {}
    return f"login-code:{pending.get('user_id', '')}"


def start_second_step(user: User, target: str) -> None:
    """After the right password of an enrolled account: nobody is logged in yet, the session
    only remembers whose code it waits for (and for how long)."""
    session.clear()
    session[PENDING_KEY] = {"user_id": user.id, "next": target, "since": int(time.time())}


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, ""
    if int(time.time()) - int(pending.get("since", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None, ""
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.active or not user.two_factor_enabled:
        return None, ""
    return user, str(pending.get("next") or url_for("admin.index"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit("5 per minute", key_func=_pending_account_key, methods=["POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    user, target = _pending_user()
    if user is None:
        flash(_("Session expirée : reconnectez-vous avec votre mot de passe."), "error")
        return redirect(url_for("admin.login"), code=303)
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            kind = two_factor.verify_second_factor(user, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            session.clear()
            login_user(user)
            if kind == "recovery":
                left = two_factor.unused_recovery_codes(user)
                flash(
                    _(
                        "Code de secours utilisé : il vous en reste %(count)s. Créez-en de "
                        "nouveaux depuis votre compte.",
                        count=left,
                    ),
                    "info",
                )
            return redirect(target, code=303)
    return render_template("admin/login_code.html", form=form), 400 if form.errors else 200


# --- one's own account -------------------------------------------------------------------


def _account_page(password_form=None, code_form=None, status: int = 200):
    return render_template(
        "admin/account.html",
        password_form=password_form or PasswordChangeForm(formdata=None),
        code_form=code_form or CodeForm(formdata=None),
        recovery_left=two_factor.unused_recovery_codes(current_user),
        required=two_factor.two_factor_required(),
    ), status


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/password")
def account_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.password.data)
        except PasswordRefused as error:
            form.password.errors.append(str(error))
        except AccountError as error:
            form.current.errors.append(str(error))
        else:
            flash(_("Mot de passe changé."), "ok")
            return redirect(url_for("admin.account"), code=303)
    return _account_page(password_form=form, status=400)


def _qr_svg(uri: str) -> Markup:
    # Our own drawing of the URI (paths only, no text of the user's): safe to inline.
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, light="#fff"))  # noqa: S704


#: The secret being enrolled, kept in the (signed, HttpOnly) session until a code confirms
#: it: the page shows it anyway, and reloading the page keeps the one already scanned.
ENROLMENT_KEY = "two_factor_enrolment"


def _enrolment_secret() -> str:
    pending = session.get(ENROLMENT_KEY)
    if isinstance(pending, dict) and pending.get("user_id") == current_user.id:
        return str(pending.get("secret", ""))
    secret = two_factor.new_secret()
    session[ENROLMENT_KEY] = {"user_id": current_user.id, "secret": secret}
    return secret


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor_enrol():
    if current_user.two_factor_enabled:
        return redirect(url_for("admin.account"))
    secret = _enrolment_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, secret, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            session.pop("must_enrol", None)
            session.pop(ENROLMENT_KEY, None)
            return render_template("admin/recovery_codes.html", codes=codes, enrolled=True)
    uri = two_factor.provisioning_uri(current_user.email, secret)
    return render_template(
        "admin/two_factor.html",
        form=form,
        secret=secret,
        uri=uri,
        qr=_qr_svg(uri),
        must_enrol=bool(session.get("must_enrol")),
    ), 400 if form.errors else 200


@bp.post("/account/two-factor/disable")
def two_factor_disable():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(current_user, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            flash(_("Double authentification désactivée."), "ok")
            return redirect(url_for("admin.account"), code=303)
    return _account_page(code_form=form, status=400)


@bp.post("/account/two-factor/recovery-codes")
def two_factor_recovery_codes():
    form = CodeForm()
    if not current_user.two_factor_enabled:
        abort(404)
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(current_user, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            return render_template("admin/recovery_codes.html", codes=codes, enrolled=False)
    return _account_page(code_form=form, status=400)


# --- administrators ----------------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.post("/accounts/two-factor-required")
def accounts_two_factor_required():
    _require_admin()
    form = SwitchForm()
    if not form.validate():
        abort(400)
    required = form.value.data == "on"
    two_factor.set_two_factor_required(required)
    if required:
        flash(
            _(
                "Double authentification exigée : chaque compte qui ne l'a pas encore "
                "l'activera à sa prochaine connexion."
            ),
            "ok",
        )
    else:
        flash(_("La double authentification n'est plus exigée."), "ok")
    return redirect(url_for("admin.accounts"), code=303)


@bp.post("/accounts/<int:user_id>/two-factor/reset")
def account_two_factor_reset(user_id: int):
    _require_admin()
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate():
        abort(400)
    two_factor.reset(user)
    flash(
        _(
            "Double authentification réinitialisée pour %(email)s : le compte se connecte "
            "avec son mot de passe et l'active à nouveau.",
            email=user.email,
        ),
        "ok",
    )
    return redirect(url_for("admin.accounts"), code=303)

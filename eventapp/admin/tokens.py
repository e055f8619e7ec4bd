"""Organiser area: personal API tokens.

GET,POST /admin/tokens                      the account's own tokens; POST creates one
POST     /admin/tokens/<id>/revoke
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from eventapp.admin.api_tokens import NAME_MAX, create_token, revoke_token, user_tokens
from eventapp.admin.blueprint import bp
from eventapp.admin.forms import REQUIRED, ActionForm, AdminForm
from eventapp.extensions import db
from eventapp.models import ApiToken


class TokenForm(AdminForm):
    name = StringField(
        _l("Nom du jeton"),
        description=_l("Pour le reconnaître : le script ou l'outil qui l'utilise."),
        validators=[DataRequired(REQUIRED), Length(max=NAME_MAX)],
    )


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        new = create_token(current_user, form.name.data)
        secret = new.secret
        form = TokenForm(formdata=None)
    return render_template(
        "admin/tokens.html",
        tokens=user_tokens(current_user),
        form=form,
        secret=secret,
        action=ActionForm(),
    ), (400 if form.errors else 200)


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate():
        abort(400)
    revoke_token(token)
    flash(_("Jeton « %(name)s » révoqué.", name=token.name), "ok")
    return redirect(url_for("admin.tokens"), code=303)

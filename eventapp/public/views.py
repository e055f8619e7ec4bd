"""Public pages. Each view reads the request, asks the domain, renders."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from eventapp.i18n import LANGUAGE_COOKIE, LANGUAGE_NAMES
from eventapp.models.types import utcnow
from eventapp.programme import event_speakers, programme_days, published_event, published_events
from eventapp.public.blueprint import bp
from eventapp.registration.rules import Window, registration_window
from eventapp.request_input import current_path, same_site_path


class LanguageForm(FlaskForm):
    # Labels given: a field without one has WTForms translate a made-up label, which loads
    # WTForms' catalogue from disk on every page (this form is on every page).
    lang = SelectField(_l("Langue"), choices=list(LANGUAGE_NAMES))
    next = HiddenField("")


@bp.app_context_processor
def language_switch() -> dict:
    # formdata=None: the switch is only drawn here; reading the request's body would let a
    # malformed one break every page, the error pages included.
    return {"language_form": LanguageForm(formdata=None, next=current_path())}


@bp.get("/")
def index():
    now = utcnow()
    events = published_events()
    upcoming = [event for event in events if event.ends_at >= now]
    past = sorted((event for event in events if event.ends_at < now), key=lambda e: e.starts_at)
    return render_template("public/index.html", upcoming=upcoming, past=past[::-1])


def _event_or_404(slug: str):
    event = published_event(slug)
    if event is None:
        abort(404)
    return event


@bp.get("/events/<slug>/")
def event_page(slug: str):
    event = _event_or_404(slug)
    return render_template(
        "public/event.html",
        event=event,
        days=programme_days(event),
        speakers=event_speakers(event),
        registration_is_open=registration_window(event) == Window.OPEN,
    )


@bp.get("/events/<slug>/speakers")
def speakers_page(slug: str):
    event = _event_or_404(slug)
    return render_template("public/speakers.html", event=event, speakers=event_speakers(event))


@bp.post("/language")
def choose_language():
    form = LanguageForm()
    target = same_site_path(form.next.data) or "/"
    if not form.validate():
        abort(400)
    response = redirect(target, code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        form.lang.data,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response

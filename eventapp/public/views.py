"""Public pages. Each view reads the request, asks the domain, renders."""

from __future__ import annotations

import hashlib
import hmac

from flask import abort, current_app, g, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import HiddenField, SelectField, ValidationError
from wtforms.csrf.core import CSRF

from eventapp.extensions import csrf
from eventapp.i18n import LANGUAGE_COOKIE, LANGUAGE_NAMES
from eventapp.models.types import utcnow
from eventapp.programme import (
    Versions,
    event_speakers,
    programme_days,
    programme_entries,
    published_event_row,
    published_events,
    published_versions,
)
from eventapp.public.blueprint import bp
from eventapp.public.page_cache import SHARED_PAGE, cached_response, page_key
from eventapp.public.programme_html import ItemWriter
from eventapp.registration.rules import Window, registration_window
from eventapp.request_input import current_path, same_site_path


class _SwitchCSRF(CSRF):
    """The language switch's CSRF check. On the pages served to everyone alike
    (eventapp.public.page_cache: the event page, the speakers page), the switch needs no
    session: a token bound to one would give every visitor a session cookie and every page a
    body of its own. There its token is a signature, by the site's secret, of the switch
    itself (a POST without it came from no page of this site), and what binds the request to
    this site's pages in the visitor's browser is the browser's own word, ``Sec-Fetch-Site``
    and ``Origin``: a request another site makes the browser send is refused. All a forged
    switch could do is change the visitor's display language. Elsewhere (a page with a form
    of its own, the organiser area) the switch carries the session's token, as every form."""

    def setup_form(self, form):
        self.meta = form.meta
        return super().setup_form(form)

    def _site_token(self) -> str:
        secret = str(self.meta.csrf_secret).encode()
        return hmac.new(secret, b"eventapp.language-switch", hashlib.sha256).hexdigest()

    def generate_csrf_token(self, csrf_token_field) -> str:
        if g.get(SHARED_PAGE):
            return self._site_token()
        return generate_csrf(secret_key=self.meta.csrf_secret, token_key=self.meta.csrf_field_name)

    def validate_csrf_token(self, form, field) -> None:
        invalid = ValidationError(_l("Le formulaire n'est pas valide."))
        if not isinstance(field.data, str):
            raise invalid
        if not hmac.compare_digest(field.data, self._site_token()):
            validate_csrf(field.data, self.meta.csrf_secret, self.meta.csrf_time_limit)
            return
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise invalid
        origin = request.headers.get("Origin")
        if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
            raise invalid


class LanguageForm(FlaskForm):
    class Meta:
        csrf_class = _SwitchCSRF

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
    setattr(g, SHARED_PAGE, True)  # the same page for every visitor: no session for it
    return render_template("public/index.html", upcoming=upcoming, past=past[::-1])


def _event_or_404(slug: str):
    """The event's row; its programme is read as plain rows (programme_entries)."""
    event = published_event_row(slug)
    if event is None:
        abort(404)
    return event


def _versions_or_404(slug: str) -> Versions:
    versions = published_versions(slug)
    if versions is None:
        abort(404)
    return versions


@bp.get("/events/<slug>/")
def event_page(slug: str):
    versions = _versions_or_404(slug)
    is_open = registration_window(versions.event) == Window.OPEN

    def build() -> str:
        event = _event_or_404(slug)
        items = programme_entries(event)
        return render_template(
            "public/event.html",
            event=event,
            days=programme_days(event, items),
            speakers=event_speakers(event, items),
            registration_is_open=is_open,
            item_writer=ItemWriter(event, str(get_locale())),
        )

    return cached_response(page_key("event", versions.key, is_open), build)


@bp.get("/events/<slug>/speakers")
def speakers_page(slug: str):
    versions = _versions_or_404(slug)

    def build() -> str:
        event = _event_or_404(slug)
        speakers = event_speakers(event, programme_entries(event))
        return render_template("public/speakers.html", event=event, speakers=speakers)

    return cached_response(page_key("speakers", versions.key), build)


@bp.post("/language")
@csrf.exempt  # the form checks its own token (_SwitchCSRF): no session needed
def choose_language():
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        abort(400)  # the switch is a form; any other body is refused before it is read
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

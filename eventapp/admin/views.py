"""Organiser area: logging in, accounts, events and their publishing switches.

URL surface (every route but the login needs an account; changes are POST only):
  GET,POST /admin/login                       POST /admin/logout
  GET      /admin/                            the events this account manages
  GET      /admin/accounts                    GET,POST /admin/accounts/new
  POST     /admin/accounts/<id>/active
  GET,POST /admin/events/new                  GET /admin/events/<id>/
  GET,POST /admin/events/<id>/edit            GET,POST /admin/events/<id>/duplicate
  POST     /admin/events/<id>/publish         POST /admin/events/<id>/unpublish
  POST     /admin/events/<id>/registration    POST /admin/events/<id>/proceedings
  POST     /admin/events/<id>/managers        POST /admin/events/<id>/managers/<uid>/remove
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventapp import audit, mail
from eventapp.admin.account_views import start_second_step
from eventapp.admin.accounts import (
    AccountError,
    PasswordRefused,
    add_manager,
    authenticate,
    can_manage,
    create_organiser,
    manageable_events,
    remove_manager,
    set_active,
)
from eventapp.admin.blueprint import bp
from eventapp.admin.conflicts import programme_conflicts
from eventapp.admin.events import (
    PublicationRefused,
    create_event,
    duplicate_event,
    is_past,
    publish,
    set_proceedings_published,
    set_registration_open,
    slug_taken,
    time_change_warning,
    unpublish,
)
from eventapp.admin.forms import (
    FIRST_YEAR,
    LAST_YEAR,
    AccountForm,
    ActionForm,
    DuplicateForm,
    EventForm,
    LoginForm,
    ManagerForm,
    SwitchForm,
)
from eventapp.admin.registrations import capacity_changed
from eventapp.admin.translations import (
    fill_translations,
    missing_texts,
    save_translations,
    translated_form,
)
from eventapp.admin.two_factor import two_factor_required
from eventapp.extensions import db, limiter
from eventapp.i18n import language_name
from eventapp.languages import FirstLanguageIncomplete, completeness, declare_languages
from eventapp.limits import OutsideYears
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, User
from eventapp.programme import event_by_slug
from eventapp.registration.confirmation import DEFAULT_CONFIRM_HOURS
from eventapp.registration.rules import registration_window
from eventapp.request_input import same_site_path


def _login_limit() -> str:
    return current_app.config["ADMIN_LOGIN_RATE_LIMIT"]


def _login_account_key() -> str:
    return "login:" + request.form.get("email", "").strip().lower()


def _safe_next(target: str | None) -> str:
    """Only a path inside the organiser area: never an open redirect."""
    return same_site_path(target, "/admin/") or url_for("admin.index")


def get_event(event_id: int, programme: bool = True) -> Event:
    """The event if this account manages it; 404 otherwise (guessed ids reveal nothing).

    Its rooms, themes, managers and programme come loaded in a fixed number of queries;
    ``programme=False``: its row and managers only, for the pages that read the programme
    as plain rows (eventapp.programme.programme_entries: the registrations' list and
    export, on a programme of hundreds of items).
    """
    statement = select(Event).where(Event.id == event_id).options(selectinload(Event.managers))
    if programme:
        statement = statement.options(
            selectinload(Event.rooms),
            selectinload(Event.themes),
            selectinload(Event.items).options(
                selectinload(ProgrammeItem.speaker_links).joinedload(ItemSpeaker.speaker)
            ),
        )
    event = db.session.scalars(statement).first()
    if event is None or not can_manage(current_user, event):
        abort(404)
    return event


def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


# --- logging in ------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit("5 per minute", key_func=_login_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            target = _safe_next(form.next.data)
            if user.two_factor_enabled:  # not logged in until the code is right
                start_second_step(user, target)
                return redirect(url_for("admin.login_code"), code=303)
            must_enrol = two_factor_required()
            session.clear()
            login_user(user)
            if must_enrol:
                session["must_enrol"] = True
                return redirect(url_for("admin.two_factor_enrol"), code=303)
            return redirect(target, code=303)
        form.password.errors.append(_("Adresse e-mail ou mot de passe incorrect."))
    status = 400 if form.errors else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    if not ActionForm().validate():
        abort(400)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("admin.login"), code=303)


# --- accounts (administrators) ---------------------------------------------------------


@bp.get("/")
def index():
    return render_template(
        "admin/index.html", events=manageable_events(current_user), is_past=is_past
    )


@bp.get("/accounts")
def accounts():
    require_admin()
    users = db.session.scalars(db.select(User).order_by(User.email)).all()
    return render_template(
        "admin/accounts.html",
        users=users,
        action=ActionForm(),
        two_factor_required=two_factor_required(),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    require_admin()
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = create_organiser(
                form.email.data, form.password.data, is_admin=form.is_admin.data
            )
        except PasswordRefused as error:
            form.password.errors.append(str(error))
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("Compte créé pour %(email)s.", email=user.email), "ok")
            return redirect(url_for("admin.accounts"), code=303)
    return render_template("admin/account_form.html", form=form), 400 if form.errors else 200


@bp.post("/accounts/<int:user_id>/active")
def account_active(user_id: int):
    require_admin()
    form = SwitchForm()
    user = db.session.get(User, user_id) or abort(404)
    if not form.validate():
        abort(400)
    try:
        set_active(user, form.value.data == "on", by=current_user)
    except AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.accounts"), code=303)


# --- events ----------------------------------------------------------------------------

EVENT_FIELDS = (
    "title", "subtitle", "organising_body", "project", "timezone", "venue_name",
    "venue_address", "contact_email", "capacity", "introduction_md", "closing_md",
    "confirm_address", "confirm_hours",
)  # fmt: skip


def _event_values(form: EventForm) -> dict:
    from zoneinfo import ZoneInfo

    values = {name: getattr(form, name).data for name in EVENT_FIELDS}
    values["confirm_hours"] = values["confirm_hours"] or DEFAULT_CONFIRM_HOURS
    for name in (
        "subtitle",
        "organising_body",
        "project",
        "venue_name",
        "venue_address",
        "contact_email",
        "introduction_md",
        "closing_md",
    ):
        values[name] = (values[name] or "").strip()
    tz = ZoneInfo(form.timezone.data)
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        local = getattr(form, name).data
        values[name] = local.replace(tzinfo=tz) if local else None
    return values


MISSING_SHOWN = 50  # a list to work through, not the whole programme at once


def _declared(form: EventForm) -> list[str]:
    return [form.first_language.data, *(form.other_languages.data or [])]


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    form = EventForm()
    if form.validate_on_submit():
        if form.slug.data and slug_taken(form.slug.data):
            form.slug.errors.append(_("Cette adresse est déjà prise par un autre événement."))
        else:
            values = _event_values(form)
            values["slug"] = form.slug.data or ""
            event = create_event(values, by=current_user)
            declare_languages(event, _declared(form))
            db.session.commit()
            flash(_("Événement créé (brouillon)."), "ok")
            return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    return render_template("admin/event_form.html", form=form, event=None), (
        400 if form.errors else 200
    )


def _overview_page(event: Event, manager_form: ManagerForm | None = None, status: int = 200):
    conflicts = programme_conflicts(
        event, link=lambda item: url_for("admin.programme", event_id=event.id) + f"#item-{item.id}"
    )
    page = render_template(
        "admin/event.html",
        event=event,
        conflicts=conflicts,
        action=ActionForm(),
        manager_form=manager_form or ManagerForm(),
        is_past=is_past(event),
        window=registration_window(event),
        languages=[
            (entry, missing_texts(entry.missing[:MISSING_SHOWN])) for entry in completeness(event)
        ],
        missing_shown=MISSING_SHOWN,
    )
    return page, status


@bp.get("/events/<int:event_id>/")
def event_overview(event_id: int):
    return _overview_page(get_event(event_id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    event = get_event(event_id)
    form = translated_form(EventForm, event.language_list)(obj=event)
    warning = time_change_warning(event)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            stored = getattr(event, name)
            getattr(form, name).data = event.local(stored).replace(tzinfo=None) if stored else None
        fill_translations(form, event)
        form.first_language.data = event.language_list[0]
        form.other_languages.data = list(event.language_list[1:])
    if form.validate_on_submit():
        values = _event_values(form)
        values["slug"] = form.slug.data or event.slug
        times_changed = (values["starts_at"], values["ends_at"]) != (event.starts_at, event.ends_at)
        if values["slug"] != event.slug and slug_taken(values["slug"], except_id=event.id):
            form.slug.errors.append(_("Cette adresse est déjà prise par un autre événement."))
        elif times_changed and warning and not form.confirm_time_change.data:
            form.confirm_time_change.errors.append(warning)
        else:
            capacity_before = event.capacity
            for name, value in values.items():
                setattr(event, name, value)
            save_translations(form, event)
            try:
                declare_languages(event, _declared(form))
            except FirstLanguageIncomplete:
                db.session.rollback()
                form.first_language.errors.append(
                    _(
                        "Écrivez d'abord chaque texte dans cette langue : elle remplace les "
                        "textes qui manquent dans les autres."
                    )
                )
                return render_template(
                    "admin/event_form.html", form=form, event=event, warning=warning
                ), 400
            db.session.commit()
            audit.record(
                event, "event.edited", event, detail={"capacity": [capacity_before, event.capacity]}
            )
            if event.capacity != capacity_before:
                capacity_changed(event)
            flash(_("Événement enregistré."), "ok")
            return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    return render_template("admin/event_form.html", form=form, event=event, warning=warning), (
        400 if form.errors else 200
    )


@bp.post("/events/<int:event_id>/publish")
def event_publish(event_id: int):
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    incomplete = [entry.language for entry in completeness(event) if not entry.complete]
    if incomplete and request.form.get("confirm_incomplete") != "y":
        flash(
            _(
                "Publication non faite : des textes manquent en %(languages)s. Complétez-les, "
                "ou cochez la case pour publier quand même (ils s'afficheront dans la langue "
                "principale).",
                languages=", ".join(language_name(code) for code in incomplete),
            ),
            "error",
        )
        return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    try:
        publish(event)
    except PublicationRefused as refused:
        flash(
            _(
                "Publication refusée : %(count)s conflit(s) à corriger dans le programme.",
                count=len(refused.conflicts),
            ),
            "error",
        )
    else:
        flash(_("Événement publié."), "ok")
    return redirect(url_for("admin.event_overview", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/unpublish")
def event_unpublish(event_id: int):
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    unpublish(event)
    flash(_("Événement repassé en brouillon."), "ok")
    return redirect(url_for("admin.event_overview", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/registration")
def event_registration(event_id: int):
    event = get_event(event_id)
    form = SwitchForm()
    if not form.validate():
        abort(400)
    set_registration_open(event, form.value.data == "on")
    flash(
        _("Inscriptions ouvertes.") if event.registration_open else _("Inscriptions fermées."),
        "ok",
    )
    return redirect(url_for("admin.event_overview", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/proceedings")
def event_proceedings(event_id: int):
    event = get_event(event_id)
    form = SwitchForm()
    if not form.validate():
        abort(400)
    publishing = form.value.data == "on"
    if publishing and not event.is_published:
        # Its link would lead nowhere: a draft's pages are not public.
        flash(
            _(
                "Publiez d'abord l'événement : le compte-rendu d'un brouillon n'est visible "
                "de personne. Rien n'a changé."
            ),
            "error",
        )
        return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    if publishing and not is_past(event) and request.form.get("confirm") != "y":
        # Publishing mails the link to every confirmed person: before the day, a slip.
        flash(
            _(
                "L'événement n'est pas terminé : cochez la case pour publier quand même le "
                "compte-rendu. Rien n'a changé."
            ),
            "error",
        )
        return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    set_proceedings_published(event, publishing)
    audit.record(event, f"event.proceedings_{'published' if publishing else 'withdrawn'}", event)
    mail.deliver_new()
    flash(
        _("Compte-rendu publié.")
        if event.proceedings_published
        else _("Compte-rendu retiré du site."),
        "ok",
    )
    return redirect(url_for("admin.event_overview", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
def event_duplicate(event_id: int):
    event = get_event(event_id)
    form = DuplicateForm()
    if request.method == "GET" and not form.slug.data:
        form.slug.data = f"{event.slug}-copie"[:80]
    if form.validate_on_submit():
        if slug_taken(form.slug.data):
            form.slug.errors.append(_("Cette adresse est déjà prise par un autre événement."))
        else:
            source = event_by_slug(event.slug)
            try:
                copy = duplicate_event(
                    source, form.starts_on.data, slug=form.slug.data, by=current_user
                )
            except OutsideYears:
                db.session.rollback()
                form.starts_on.errors.append(
                    _(
                        "À cette date, la copie ou un élément de son programme tomberait hors "
                        "des années %(first)s à %(last)s.",
                        first=FIRST_YEAR,
                        last=LAST_YEAR,
                    )
                )
            else:
                flash(_("Copie créée en brouillon, sans inscriptions ni compte-rendu."), "ok")
                return redirect(url_for("admin.event_overview", event_id=copy.id), code=303)
    return render_template("admin/duplicate.html", form=form, event=event), (
        400 if form.errors else 200
    )


@bp.post("/events/<int:event_id>/managers")
def event_manager_add(event_id: int):
    event = get_event(event_id)
    form = ManagerForm()
    if form.validate_on_submit():
        try:
            user = add_manager(event, form.email.data)
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            audit.record(event, "event.manager_added", event, detail={"manager": user.email})
            flash(_("%(email)s gère maintenant cet événement.", email=user.email), "ok")
            return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
    return _overview_page(event, manager_form=form, status=400)


@bp.post("/events/<int:event_id>/managers/<int:user_id>/remove")
def event_manager_remove(event_id: int, user_id: int):
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    try:
        remove_manager(event, user)
    except AccountError as error:
        flash(str(error), "error")
    else:
        audit.record(event, "event.manager_removed", event, detail={"manager": user.email})
        flash(_("%(email)s ne gère plus cet événement.", email=user.email), "ok")
    if not can_manage(current_user, event):
        return redirect(url_for("admin.index"), code=303)
    return redirect(url_for("admin.event_overview", event_id=event.id), code=303)

"""Organiser area: registrations, check-in, attendance sheets, dashboard, mailing.

URL surface (changes are POST only; every page checks that the account manages the event):
  GET      /admin/events/<id>/registrations          list: ?q= &status= &item=
  GET      /admin/events/<id>/registrations.csv      the export (UTF-8 with BOM, ";")
  GET      /admin/events/<id>/registrations/<rid>    one person: every action below; ?back=
  POST     /admin/events/<id>/registrations/<rid>/confirm   (force: despite a full workshop)
  POST     /admin/events/<id>/registrations/<rid>/cancel
  POST     /admin/events/<id>/registrations/<rid>/move      one workshop_N per round
  GET      /admin/events/<id>/checkin                 quick search: ?q=
  POST     /admin/events/<id>/registrations/<rid>/checkin   value=on|off
  GET      /admin/events/<id>/items/<iid>/attendance.pdf    sheet with a signature column
  GET      /admin/events/<id>/dashboard
  GET,POST /admin/events/<id>/mailing                 write, preview, then send
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from eventapp import audit, mail
from eventapp.admin.blueprint import bp
from eventapp.admin.dashboard import fill_chart, mail_counts, registrations_by_day, timeline
from eventapp.admin.forms import REQUIRED, ActionForm, AdminForm, SwitchForm
from eventapp.admin.mailing import (
    audiences,
    is_submission_key,
    new_submission_key,
    recipients,
    send_message,
)
from eventapp.admin.registrations import (
    CheckInRefused,
    attendees,
    filter_registrations,
    listed_registrations,
    registration_counts,
    set_checked_in,
)
from eventapp.admin.translations import translated_form, translation_fields
from eventapp.admin.views import _safe_next, get_event
from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Registration, RegistrationStatus
from eventapp.programme import choice_blocks, programme_entries
from eventapp.registration import (
    RegistrationRefused,
    cancel,
    change_choices,
    check_choices,
    choice_fields,
    confirm,
    seats_left,
    waitlist_position,
)
from eventapp.registration.export import (
    event_registrations,
    registrations_csv,
    waitlist_positions,
)
from eventapp.request_input import parse_id

STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: _l("Confirmée"),
    RegistrationStatus.WAITLISTED: _l("Liste d'attente"),
    RegistrationStatus.CANCELLED: _l("Annulée"),
    RegistrationStatus.PENDING: _l("En attente de l'attribution"),
}


def _registration(event: Event, registration_id: int) -> Registration:
    found = db.session.get(Registration, registration_id)
    if found is None or found.event_id != event.id or found.erased_at is not None:
        abort(404)
    return found


PAGE_SIZE = 50


def _filters(args) -> dict:
    status = args.get("status", "")
    item = args.get("item", "")
    return {
        "query": args.get("q", "")[:100],
        "status": status if status in {s.value for s in RegistrationStatus} else "",
        "item_id": parse_id(item),
    }


def _page(args) -> int:
    return max(parse_id(args.get("page")) or 1, 1)


def _back(event: Event) -> str:
    """Where an action returns: the form's ``next`` (the registration's page, the list or
    the check-in page), else the list."""
    fallback = url_for("admin.registrations", event_id=event.id)
    target = _safe_next(request.form.get("next"))
    return target if target != url_for("admin.index") else fallback


def _list_back(event: Event) -> str:
    """The list as the organiser left it (filters, page), for the registration's page:
    ``?back=`` on a GET, carried inside the form's ``next`` on a refused POST."""
    list_url = url_for("admin.registrations", event_id=event.id)
    raw = request.args.get("back")
    if raw is None and request.method == "POST":
        raw = parse_qs(urlsplit(request.form.get("next", "")).query).get("back", [None])[0]
    if raw and _safe_next(raw) == raw and urlsplit(raw).path == list_url:
        return raw
    return list_url


# --- the list -------------------------------------------------------------------------


def _list_page(event: Event, filters: dict, page: int = 1):
    everyone = listed_registrations(event)
    shown = filter_registrations(everyone, **filters)
    # Fifty people a page: the list of a big event stays quick to load and to read.
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(page, pages)
    rows = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    # Each row names its workshops only; every action is on the registration's own page.
    # The rounds are worked out once for the rows and the counts, from the programme's
    # plain rows (hundreds of items on a large event: no ORM object each).
    blocks = choice_blocks(event, programme_entries(event, speakers=False))
    round_of = {
        item.id: (number, item)
        for number, block in enumerate(blocks, 1)
        for item in block.workshops
    }
    return render_template(
        "admin/registrations.html",
        event=event,
        registrations=rows,
        workshops_of={
            r.id: sorted(
                (round_of[c.item_id] for c in r.choices if c.item_id in round_of),
                key=lambda pair: pair[0],
            )
            for r in rows
        },
        matching=len(shown),
        page=page,
        pages=pages,
        total=len(everyone),
        counts=registration_counts(event, everyone, blocks),
        positions=waitlist_positions(everyone),
        filters=filters,
        status_labels=STATUS_LABELS,
        here=request.full_path.rstrip("?"),
    )


@bp.get("/events/<int:event_id>/registrations")
def registrations(event_id: int):
    event = get_event(event_id, programme=False)
    return _list_page(event, _filters(request.args), page=_page(request.args))


# --- one registration -----------------------------------------------------------------


def _detail_page(
    event: Event, registration: Registration, errors: dict | None = None, status: int = 200
):
    """The registration's page: the person, their workshops, and confirm, cancel, move
    and check-in (the messages of a refused action beside its form)."""
    rounds = choice_fields(event)
    picked = {c.item_id for c in registration.choices}
    back = _list_back(event)
    return render_template(
        "admin/registration.html",
        event=event,
        registration=registration,
        rounds=[
            (name, number, block, next((i for i in block.workshops if i.id in picked), None))
            for number, (name, block) in enumerate(rounds, 1)
        ],
        seats=seats_left(event).items,
        position=waitlist_position(registration),
        status_labels=STATUS_LABELS,
        errors={name: str(message) for name, message in (errors or {}).items()},
        back=back,
        here=url_for(
            "admin.registration_page",
            event_id=event.id,
            registration_id=registration.id,
            back=back,
        ),
    ), status


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
def registration_page(event_id: int, registration_id: int):
    event = get_event(event_id)
    return _detail_page(event, _registration(event, registration_id))


def _refused(event: Event, registration: Registration, errors: dict):
    """The registration's page again, the messages beside the refused form; nothing changed."""
    return _detail_page(event, registration, errors, status=400)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/confirm")
def registration_confirm(event_id: int, registration_id: int):
    event = get_event(event_id)
    registration = _registration(event, registration_id)
    if not ActionForm().validate():
        abort(400)
    try:
        confirm(registration, force=request.form.get("force") == "y")
    except RegistrationRefused as refused:
        errors = dict(refused.errors)
        errors["confirm"] = (
            errors.pop("form", "")
            + " "
            + _("Cochez « même si complet » pour confirmer quand même.")
        )
        return _refused(event, registration, errors)
    audit.record(event, "registration.confirmed", registration)
    mail.deliver_new()
    flash(_("%(name)s : inscription confirmée.", name=registration.full_name), "ok")
    return redirect(_back(event), code=303)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/cancel")
def registration_cancel(event_id: int, registration_id: int):
    event = get_event(event_id)
    registration = _registration(event, registration_id)
    if not ActionForm().validate():
        abort(400)
    cancel(registration)
    audit.record(event, "registration.cancelled", registration)
    mail.deliver_new()
    flash(_("%(name)s : inscription annulée.", name=registration.full_name), "ok")
    return redirect(_back(event), code=303)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/move")
def registration_move(event_id: int, registration_id: int):
    event = get_event(event_id)
    registration = _registration(event, registration_id)
    if not ActionForm().validate():
        abort(400)
    picks = {name: request.form.get(name) for name in request.form if name.startswith("workshop")}
    items, errors = check_choices(event, picks)
    if not errors:
        try:
            change_choices(registration, items)
        except RegistrationRefused as refused:
            errors = refused.errors
    if errors:
        return _refused(event, registration, errors)
    audit.record(event, "registration.moved", registration, detail={"items": [i.id for i in items]})
    mail.deliver_new()
    flash(_("%(name)s : ateliers modifiés.", name=registration.full_name), "ok")
    return redirect(_back(event), code=303)


@bp.get("/events/<int:event_id>/registrations.csv")
def registrations_export(event_id: int):
    event = get_event(event_id, programme=False)
    body = registrations_csv(event, programme_entries(event, speakers=False))
    audit.record(event, "registrations.exported", event, detail={"format": "csv"})
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="inscriptions-{event.slug}.csv"',
            # The workshops' titles are in the interface's language (its headers too).
            "Content-Language": str(get_locale()),
        },
    )


# --- the day itself -------------------------------------------------------------------


@bp.get("/events/<int:event_id>/checkin")
def checkin(event_id: int):
    event = get_event(event_id)
    query = request.args.get("q", "")[:100]
    everyone = event_registrations(event)
    found = filter_registrations(everyone, query=query)
    found = [r for r in found if r.status != RegistrationStatus.CANCELLED]
    found.sort(key=lambda r: (r.last_name.casefold(), r.first_name.casefold(), r.id))
    return render_template(
        "admin/checkin.html",
        event=event,
        query=query,
        found=found,
        counts=registration_counts(event, everyone),
        status_labels=STATUS_LABELS,
        here=request.full_path,
    )


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/checkin")
def registration_checkin(event_id: int, registration_id: int):
    event = get_event(event_id)
    registration = _registration(event, registration_id)
    form = SwitchForm()
    if not form.validate():
        abort(400)
    present = form.value.data == "on"
    try:
        set_checked_in(registration, present)
    except CheckInRefused as refused:
        flash(str(refused), "error")
    else:
        if present:
            flash(_("%(name)s : présence notée.", name=registration.full_name), "ok")
        else:
            flash(_("%(name)s : présence retirée.", name=registration.full_name), "ok")
    return redirect(_back(event), code=303)


@bp.get("/events/<int:event_id>/items/<int:item_id>/attendance.pdf")
def attendance_sheet(event_id: int, item_id: int):
    event = get_event(event_id)
    item = db.session.get(ProgrammeItem, item_id)
    if item is None or item.event_id != event.id:
        abort(404)
    from eventapp.proceedings.render import render_pdf  # loads WeasyPrint

    people = attendees(event, item, event_registrations(event))
    html = render_template("admin/attendance_sheet.html", event=event, item=item, people=people)
    audit.record(event, "attendance.downloaded", item)
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="presences-{event.slug}-{item.id}.pdf"'},
    )


# --- the dashboard --------------------------------------------------------------------


@bp.get("/events/<int:event_id>/dashboard")
def dashboard(event_id: int):
    event = get_event(event_id)
    everyone = event_registrations(event, include_erased=True)
    current = [r for r in everyone if r.erased_at is None]
    counts = registration_counts(event, current)
    days = registrations_by_day(event, everyone)
    return render_template(
        "admin/dashboard.html",
        event=event,
        counts=counts,
        days=days,
        timeline=timeline(days),
        fill=fill_chart(counts, event.timezone),
        mails=mail_counts(event),
    )


# --- mailing --------------------------------------------------------------------------

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


class MailingForm(AdminForm):
    TRANSLATED = ("subject", "body_md")
    audience = SelectField(_l("Destinataires"))
    subject = StringField(
        _l("Objet"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=200, message=_l("200 caractères au plus.")),
            Regexp(NO_CONTROL, message=_l("Une seule ligne, sans caractère de contrôle.")),
        ],
    )
    body_md = TextAreaField(
        _l("Message (Markdown)"),
        description=_l("Chaque personne le reçoit précédé de « Bonjour Prénom, »."),
        validators=[DataRequired(REQUIRED), Length(max=20000)],
    )
    expected = HiddenField()
    step = HiddenField(default="preview")
    submission = HiddenField()  # the preview's one-time key (eventapp.admin.mailing)


def _mailing_translations(form: MailingForm) -> dict[str, tuple[str, str]]:
    """The message in each other language the organiser wrote it in (subject and body)."""
    subjects = {f.name.rsplit("__", 1)[1]: f.data for f in translation_fields(form, "subject")}
    bodies = {f.name.rsplit("__", 1)[1]: f.data for f in translation_fields(form, "body_md")}
    return {
        code: ((subjects[code] or "").strip(), bodies.get(code) or "")
        for code in subjects
        if (subjects[code] or "").strip() and bodies.get(code)
    }


def _half_translated(form: MailingForm) -> bool:
    """A language given a subject without a body, or a body without a subject: said beside
    the empty field (a half message is never sent, nor silently dropped)."""
    found = False
    for subject, body in zip(
        translation_fields(form, "subject"), translation_fields(form, "body_md"), strict=True
    ):
        if bool((subject.data or "").strip()) != bool(body.data):
            empty = body if subject.data else subject
            empty.errors.append(_("Écrivez l'objet et le message dans cette langue, ou aucun."))
            found = True
    return found


@bp.route("/events/<int:event_id>/mailing", methods=["GET", "POST"])
def mailing(event_id: int):
    event = get_event(event_id)
    form = translated_form(MailingForm, event.language_list)()
    form.audience.choices = audiences(event)
    count = None
    if form.validate_on_submit() and not _half_translated(form):
        people = recipients(event, form.audience.data)
        count = len(people)
        if not people:
            form.audience.errors.append(_("Personne ne recevrait ce message."))
        elif form.step.data == "edit":
            pass  # back to the form, as written
        elif (
            form.step.data == "send"
            and form.expected.data == str(count)
            and is_submission_key(form.submission.data or "")
        ):
            sent = send_message(
                event,
                form.audience.data,
                form.subject.data.strip(),
                form.body_md.data,
                key=form.submission.data,
                translations=_mailing_translations(form),
            )
            if sent is None:
                flash(
                    _("Ce message est déjà parti : il n'a pas été envoyé une seconde fois."),
                    "error",
                )
            else:
                mail.deliver_new()
                flash(_("Message envoyé à %(count)s personne(s).", count=sent), "ok")
            return redirect(url_for("admin.dashboard", event_id=event.id), code=303)
        else:
            if form.step.data == "send" and form.expected.data != str(count):
                flash(_("Le nombre de destinataires a changé : vérifiez avant d'envoyer."), "error")
            elif form.step.data == "send":
                flash(_("Vérifiez le message avant de l'envoyer."), "error")
            form.expected.data = str(count)
            form.submission.data = new_submission_key()
            return render_template(
                "admin/mailing_preview.html", event=event, form=form, count=count
            )
    return render_template("admin/mailing.html", event=event, form=form), (
        400 if form.errors else 200
    )

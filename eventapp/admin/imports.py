"""Organiser area: uploads of a schedule (schedule.xml / schedule.json) and of registrations
(CSV, with a dry run first).

  GET,POST /admin/import/schedule
  GET,POST /admin/events/<id>/registrations/import
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from eventapp import audit, mail
from eventapp.admin.accounts import can_manage
from eventapp.admin.blueprint import bp
from eventapp.admin.views import get_event
from eventapp.extensions import db
from eventapp.interop.files import MAX_IMPORT_BYTES, read_schedule
from eventapp.interop.importer import SLUG_PATTERN, import_schedule
from eventapp.interop.registrations import (
    CSV_MAX_BYTES,
    OUTCOMES,
    RegistrationImportError,
    RegistrationImportFailed,
    import_registrations,
)
from eventapp.interop.schedule import ScheduleError, slugify
from eventapp.models import Event


class ScheduleUploadForm(FlaskForm):
    file = FileField(
        _l("Fichier schedule.xml ou schedule.json"),
        validators=[FileRequired(_l("Choisissez un fichier."))],
    )
    timezone = StringField(
        _l("Fuseau horaire des heures sans décalage"),
        default="Europe/Brussels",
        validators=[DataRequired(), Length(max=100)],  # the longest IANA name has 32
    )


class RegistrationsUploadForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV des inscriptions"),
        description=_l(
            "Le fichier de l'export des inscriptions (modifié dans un tableur si besoin), "
            "ou les colonnes first_name, last_name, email, organisation, job_title, "
            "workshops (numéros des ateliers, séparés par des points-virgules). "
            "Séparateur virgule ou point-virgule, texte UTF-8. Une adresse déjà inscrite "
            "n'est pas inscrite deux fois : ses ateliers sont mis à jour."
        ),
        validators=[FileRequired(_l("Choisissez un fichier."))],
    )
    dry_run = BooleanField(_l("Essai à blanc : montrer ce qui se passerait, sans rien enregistrer"))


def upload_limit() -> int:
    return int(current_app.config.get("MAX_IMPORT_BYTES", MAX_IMPORT_BYTES))


def _too_large(limit: int) -> str | None:
    """The message for a body over the limit (checked before the form is read)."""
    request.max_content_length = limit + 64 * 1024  # room for the form's other fields
    length = request.content_length
    if length is not None and length > request.max_content_length:
        return _(
            "Le fichier dépasse la taille maximale de %(size)s Mo : rien n'a été importé.",
            size=max(1, limit // (1024 * 1024)),
        )
    return None


def _read_upload(form: FlaskForm, limit: int) -> bytes | None:
    data = form.file.data.read(limit + 1)
    if len(data) > limit:
        form.file.errors.append(
            _(
                "Le fichier dépasse la taille maximale de %(size)s Mo : rien n'a été importé.",
                size=max(1, limit // (1024 * 1024)),
            )
        )
        return None
    return data


def _schedule_slug(acronym: str) -> str:
    return acronym if SLUG_PATTERN.match(acronym) else slugify(acronym)


@bp.route("/import/schedule", methods=["GET", "POST"])
def schedule_upload():
    limit = upload_limit()
    if request.method == "POST":
        message = _too_large(limit)
        if message:
            return render_template(
                "admin/import_schedule.html", form=ScheduleUploadForm(formdata=None), error=message
            ), 413
    try:
        form = ScheduleUploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return render_template(
            "admin/import_schedule.html",
            form=ScheduleUploadForm(formdata=None),
            error=_("Le fichier dépasse la taille maximale : rien n'a été importé."),
        ), 413
    error = None
    if valid and (data := _read_upload(form, limit)) is not None:
        try:
            schedule, refused = read_schedule(data, form.timezone.data.strip())
            slug = _schedule_slug(schedule.acronym)
            existing = db.session.scalars(select(Event).where(Event.slug == slug)).first()
            if existing is not None and not can_manage(current_user, existing):
                error = _(
                    "L'événement « %(slug)s » existe déjà et vous ne le gérez pas : rien n'a "
                    "été importé.",
                    slug=slug,
                )
            else:
                report = import_schedule(schedule, refused)
                event = db.session.scalars(select(Event).where(Event.slug == slug)).one()
                if report.event_created:
                    event.managers = [current_user]
                    db.session.commit()
                flash(report.summary(), "ok")
                for reason in report.refused:
                    flash(_("Refusé : %(reason)s", reason=reason), "error")
                return redirect(url_for("admin.event_overview", event_id=event.id), code=303)
        except ScheduleError as problem:
            db.session.rollback()
            error = _("Fichier refusé, rien n'a été importé : %(reason)s", reason=str(problem))
    status = 400 if (form.errors or error) else 200
    return render_template("admin/import_schedule.html", form=form, error=error), status


@bp.route("/events/<int:event_id>/registrations/import", methods=["GET", "POST"])
def registrations_upload(event_id: int):
    event = get_event(event_id)
    limit = CSV_MAX_BYTES
    page = {"event": event, "report": None, "error": None}
    if request.method == "POST":
        message = _too_large(limit)
        if message:
            return render_template(
                "admin/import_registrations.html",
                form=RegistrationsUploadForm(formdata=None),
                **{**page, "error": message},
            ), 413
    form = RegistrationsUploadForm()
    failed = False
    if form.validate_on_submit() and (data := _read_upload(form, limit)) is not None:
        try:
            report = page["report"] = import_registrations(event, data, dry_run=form.dry_run.data)
            if not report.dry_run:
                counts = {outcome: report.count(outcome) for outcome in OUTCOMES}
                audit.record(event, "registrations.imported", event, detail=counts)
            mail.deliver_new()
        except RegistrationImportError as problem:
            page["error"] = _(
                "Fichier refusé, rien n'a été importé : %(reason)s", reason=str(problem)
            )
        except RegistrationImportFailed as failure:
            current_app.logger.error("registration import failed: %s", failure, exc_info=failure)
            page["error"] = _(
                "L'import s'est arrêté sur une erreur et a été annulé : rien n'a été "
                "importé. Réessayez ; si l'erreur revient, signalez-la à l'administrateur."
            )
            failed = True
    status = 500 if failed else 400 if (form.errors or page["error"]) else 200
    return render_template("admin/import_registrations.html", form=form, **page), status

"""Organiser area: rooms, themes, speakers and the programme builder.

URL surface (changes are POST only):
  GET,POST /admin/events/<id>/rooms             GET,POST /admin/events/<id>/rooms/<rid>/edit
  POST     /admin/events/<id>/rooms/<rid>/delete
  GET,POST /admin/events/<id>/themes            GET,POST /admin/events/<id>/themes/<tid>/edit
  POST     /admin/events/<id>/themes/<tid>/delete
  GET      /admin/events/<id>/programme         the grid, with every conflict beside its item
  GET,POST /admin/events/<id>/items/new         GET,POST /admin/events/<id>/items/<iid>/edit
  POST     /admin/events/<id>/items/<iid>/move  POST /admin/events/<id>/items/<iid>/delete
  GET      /admin/speakers                      GET /admin/speakers/search?q=…  (JSON)
  GET,POST /admin/speakers/new                  GET,POST /admin/speakers/<sid>/edit
  POST     /admin/speakers/<sid>/delete
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from eventapp import audit
from eventapp.admin.accounts import speakers_beyond, speakers_of_other_events
from eventapp.admin.blueprint import bp
from eventapp.admin.builder import (
    InUse,
    day_grids,
    delete_item,
    delete_room,
    delete_speaker,
    delete_theme,
    move_item,
    resolve_speakers,
    save_item,
    search_speakers,
    speaker_usage,
    speakers_text,
)
from eventapp.admin.conflicts import conflicts_by_item, programme_conflicts
from eventapp.admin.events import time_change_warning
from eventapp.admin.forms import (
    KIND_LABELS,
    LOCAL_FORMAT,
    ActionForm,
    ItemForm,
    MoveForm,
    RoomForm,
    SpeakerForm,
    ThemeForm,
    in_year_window,
)
from eventapp.admin.registrations import capacity_changed
from eventapp.admin.translations import (
    fill_translations,
    save_translations,
    speaker_languages,
    translated_form,
)
from eventapp.admin.views import get_event
from eventapp.extensions import db
from eventapp.i18n import gettext as _
from eventapp.models import Event, ItemKind, ProgrammeItem, Room, Speaker, Theme
from eventapp.registration import item_capacity


def _child(model, event: Event, child_id: int):
    """A room, theme or item of this event (404 for another event's)."""
    found = db.session.get(model, child_id)
    if found is None or found.event_id != event.id:
        abort(404)
    return found


# --- rooms ----------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/rooms", methods=["GET", "POST"])
def rooms(event_id: int):
    event = get_event(event_id)
    form = translated_form(RoomForm, event.language_list)()
    if form.validate_on_submit():
        if _room_name_taken(event, form.name.data.strip()):
            form.name.errors.append(_("Cet événement a déjà une salle de ce nom."))
        else:
            room = Room(
                event=event,
                name=form.name.data.strip(),
                capacity=form.capacity.data,
                position=form.position.data or len(event.rooms),
            )
            save_translations(form, room)
            db.session.add(room)
            db.session.commit()
            audit.record(event, "room.created", room)
            flash(_("Salle %(name)s ajoutée.", name=room.name), "ok")
            return redirect(url_for("admin.rooms", event_id=event.id), code=303)
    return render_template("admin/rooms.html", event=event, form=form, action=ActionForm()), (
        400 if form.errors else 200
    )


def _room_name_taken(event: Event, name: str, except_id: int | None = None) -> bool:
    return any(r.name.lower() == name.lower() and r.id != except_id for r in event.rooms)


@bp.route("/events/<int:event_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def room_edit(event_id: int, room_id: int):
    event = get_event(event_id)
    room = _child(Room, event, room_id)
    form = translated_form(RoomForm, event.language_list)(obj=room)
    if request.method == "GET":
        fill_translations(form, room)
    if form.validate_on_submit():
        if _room_name_taken(event, form.name.data.strip(), room.id):
            form.name.errors.append(_("Cet événement a déjà une salle de ce nom."))
        else:
            capacity_before = room.capacity
            room.name = form.name.data.strip()
            room.capacity = form.capacity.data
            room.position = form.position.data or 0
            save_translations(form, room)
            db.session.commit()
            audit.record(
                event, "room.changed", room, detail={"capacity": [capacity_before, room.capacity]}
            )
            if room.capacity != capacity_before:
                capacity_changed(event)
            flash(_("Salle enregistrée."), "ok")
            return redirect(url_for("admin.rooms", event_id=event.id), code=303)
    return render_template(
        "admin/simple_form.html",
        event=event,
        form=form,
        title=_("Salle %(name)s", name=room.name),
        back=url_for("admin.rooms", event_id=event.id),
    ), (400 if form.errors else 200)


def _delete(delete, thing: Room | Theme, done: str, back: str):
    """Deletes a room or a theme of the event, or says why not (still used by items)."""
    if not ActionForm().validate():
        abort(400)
    event_id = thing.event_id  # read before the row is gone
    try:
        delete(thing)
    except InUse as refused:
        flash(str(refused), "error")
    else:
        flash(done, "ok")
    return redirect(url_for(back, event_id=event_id), code=303)


@bp.post("/events/<int:event_id>/rooms/<int:room_id>/delete")
def room_delete(event_id: int, room_id: int):
    event = get_event(event_id)
    return _delete(delete_room, _child(Room, event, room_id), _("Salle supprimée."), "admin.rooms")


# --- themes ---------------------------------------------------------------------------


def _theme_number_taken(event: Event, number: int, except_id: int | None = None) -> bool:
    return any(t.number == number and t.id != except_id for t in event.themes)


@bp.route("/events/<int:event_id>/themes", methods=["GET", "POST"])
def themes(event_id: int):
    event = get_event(event_id)
    form = translated_form(ThemeForm, event.language_list)()
    if form.validate_on_submit():
        if _theme_number_taken(event, form.number.data):
            form.number.errors.append(_("Ce numéro de thème est déjà pris."))
        else:
            theme = Theme(
                event=event,
                number=form.number.data,
                title=form.title.data.strip(),
                description_md=form.description_md.data or "",
            )
            save_translations(form, theme)
            db.session.add(theme)
            db.session.commit()
            audit.record(event, "theme.created", theme)
            flash(_("Thème %(number)s ajouté.", number=theme.number), "ok")
            return redirect(url_for("admin.themes", event_id=event.id), code=303)
    return render_template("admin/themes.html", event=event, form=form, action=ActionForm()), (
        400 if form.errors else 200
    )


@bp.route("/events/<int:event_id>/themes/<int:theme_id>/edit", methods=["GET", "POST"])
def theme_edit(event_id: int, theme_id: int):
    event = get_event(event_id)
    theme = _child(Theme, event, theme_id)
    form = translated_form(ThemeForm, event.language_list)(obj=theme)
    if request.method == "GET":
        fill_translations(form, theme)
    if form.validate_on_submit():
        if _theme_number_taken(event, form.number.data, theme.id):
            form.number.errors.append(_("Ce numéro de thème est déjà pris."))
        else:
            theme.number = form.number.data
            theme.title = form.title.data.strip()
            theme.description_md = form.description_md.data or ""
            save_translations(form, theme)
            db.session.commit()
            audit.record(event, "theme.changed", theme)
            flash(_("Thème enregistré."), "ok")
            return redirect(url_for("admin.themes", event_id=event.id), code=303)
    return render_template(
        "admin/simple_form.html",
        event=event,
        form=form,
        title=_("Thème %(number)s", number=theme.number),
        back=url_for("admin.themes", event_id=event.id),
    ), (400 if form.errors else 200)


@bp.post("/events/<int:event_id>/themes/<int:theme_id>/delete")
def theme_delete(event_id: int, theme_id: int):
    event = get_event(event_id)
    theme = _child(Theme, event, theme_id)
    return _delete(delete_theme, theme, _("Thème supprimé."), "admin.themes")


# --- speakers (shared by every event) -------------------------------------------------


@bp.get("/speakers")
def speakers():
    query = request.args.get("q", "")[:100]
    found = search_speakers(query, limit=200)
    return render_template(
        "admin/speakers.html",
        speakers=found,
        locked=speakers_of_other_events(current_user, [speaker.id for speaker in found]),
        theirs=speakers_beyond(current_user, [speaker.id for speaker in found]),
        query=query,
        action=ActionForm(),
    )


def _refuse_if_shared_beyond(speaker: Speaker):
    """None when the organiser may change or delete this speaker, else the answer refusing it."""
    if speaker.id not in speakers_beyond(current_user, [speaker.id]):
        return None
    if speakers_of_other_events(current_user, [speaker.id]):
        message = _(
            "%(name)s intervient aussi dans un événement que vous ne gérez pas : seul un "
            "administrateur peut modifier cette fiche.",
            name=speaker.name,
        )
    else:
        message = _(
            "%(name)s a été préparé par un autre organisateur et ne figure encore dans aucun "
            "programme : seuls cet organisateur et un administrateur peuvent modifier ou "
            "supprimer cette fiche.",
            name=speaker.name,
        )
    flash(message, "error")
    return redirect(url_for("admin.speakers", q=speaker.name), code=303)


@bp.get("/speakers/search")
def speaker_search():
    found = search_speakers(request.args.get("q", "")[:100], limit=10)
    return jsonify(
        [
            {"id": s.id, "name": s.name, "byline": s.byline, "label": f"{s.name} #{s.id}"}
            for s in found
        ]
    )


@bp.route("/speakers/new", methods=["GET", "POST"])
@bp.route("/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
def speaker_edit(speaker_id: int | None = None):
    speaker = (db.session.get(Speaker, speaker_id) or abort(404)) if speaker_id else None
    if speaker is not None and (refused := _refuse_if_shared_beyond(speaker)):
        return refused
    form = translated_form(SpeakerForm, speaker_languages(speaker))(obj=speaker)
    if request.method == "GET" and speaker is not None:
        fill_translations(form, speaker)
    if form.validate_on_submit():
        if speaker is None:
            speaker = Speaker(created_by_id=current_user.id)
            db.session.add(speaker)
        speaker.name = form.name.data.strip()
        speaker.role = (form.role.data or "").strip()
        speaker.organisation = (form.organisation.data or "").strip()
        save_translations(form, speaker)
        db.session.commit()
        flash(_("Intervenant enregistré : %(name)s.", name=speaker.name), "ok")
        return redirect(url_for("admin.speakers", q=speaker.name), code=303)
    title = speaker.name if speaker else _("Nouvel intervenant")
    return render_template(
        "admin/simple_form.html",
        event=None,
        form=form,
        title=title,
        back=url_for("admin.speakers"),
        usage=speaker_usage(speaker) if speaker else None,
    ), (400 if form.errors else 200)


@bp.post("/speakers/<int:speaker_id>/delete")
def speaker_delete(speaker_id: int):
    speaker = db.session.get(Speaker, speaker_id) or abort(404)
    if not ActionForm().validate():
        abort(400)
    if refused := _refuse_if_shared_beyond(speaker):
        return refused
    try:
        delete_speaker(speaker)
    except InUse as refused:
        flash(str(refused), "error")
    else:
        flash(_("Intervenant supprimé."), "ok")
    return redirect(url_for("admin.speakers"), code=303)


# --- the programme --------------------------------------------------------------------


def _room_choices(event: Event) -> list[SelectChoice]:
    return [SelectChoice(0, _("— sans salle —"))] + [
        SelectChoice(room.id, f"{room.name} ({room.capacity})" if room.capacity else room.name)
        for room in event.rooms
    ]


def _theme_choices(event: Event) -> list[SelectChoice]:
    return [SelectChoice(0, _("— sans thème —"))] + [
        SelectChoice(
            theme.id, _("Thème %(number)s : %(title)s", number=theme.number, title=theme.title)
        )
        for theme in event.themes
    ]


def _programme_link(event: Event):
    base = url_for("admin.programme", event_id=event.id)
    return lambda item: f"{base}#item-{item.id}"


@bp.get("/events/<int:event_id>/programme")
def programme(event_id: int):
    event = get_event(event_id)
    conflicts = programme_conflicts(event, link=_programme_link(event))
    move_forms = {}
    for item in event.items:
        form = MoveForm(
            prefix=f"move-{item.id}",
            room_id=item.room_id or 0,
            starts_at=event.local(item.starts_at).replace(tzinfo=None),
        )
        form.room_id.choices = _room_choices(event)
        move_forms[item.id] = form
    return render_template(
        "admin/programme.html",
        event=event,
        grids=day_grids(event),
        conflicts=conflicts,
        by_item=conflicts_by_item(conflicts),
        move_forms=move_forms,
        kind_labels=KIND_LABELS,
        action=ActionForm(),
        needs_confirm=time_change_warning(event) is not None,
        day_title=lambda day: format_date(day, format="full", locale=str(get_locale())),
    )


def _item_form(event: Event, item: ProgrammeItem | None) -> ItemForm:
    form = translated_form(ItemForm, event.language_list)(obj=item)
    form.room_id.choices = _room_choices(event)
    form.theme_id.choices = _theme_choices(event)
    if request.method == "GET":
        if item is not None:
            form.kind.data = item.kind.value
            form.room_id.data = item.room_id or 0
            form.theme_id.data = item.theme_id or 0
            form.starts_at.data = event.local(item.starts_at).replace(tzinfo=None)
            form.ends_at.data = event.local(item.ends_at).replace(tzinfo=None)
            form.speakers.data = speakers_text(item)
            fill_translations(form, item)
        else:
            _prefill_new_item(event, form)
    return form


def _prefill_new_item(event: Event, form: ItemForm) -> None:
    room = request.args.get("room", type=int)
    if room and any(r.id == room for r in event.rooms):
        form.room_id.data = room
    start = request.args.get("start", "")
    try:
        starts = datetime.strptime(start, LOCAL_FORMAT)
    except ValueError:
        starts = None
    if starts is None or not in_year_window(starts):  # a link's odd date: the event's start
        starts = event.local(event.starts_at).replace(tzinfo=None)
    form.starts_at.data = starts
    form.ends_at.data = starts + timedelta(hours=1)


def _item_values(event: Event, form: ItemForm) -> dict:
    return {
        "kind": ItemKind(form.kind.data),
        "title": form.title.data.strip(),
        "starts_at": form.starts_at.data.replace(tzinfo=event.tz),
        "ends_at": form.ends_at.data.replace(tzinfo=event.tz),
        "room_id": form.room_id.data or None,
        "theme_id": form.theme_id.data or None,
        "capacity": form.capacity.data,
        "description_md": form.description_md.data or "",
        "summary_md": form.summary_md.data or "",
    }


@bp.route("/events/<int:event_id>/items/new", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
def item_edit(event_id: int, item_id: int | None = None):
    event = get_event(event_id)
    item = _child(ProgrammeItem, event, item_id) if item_id else None
    form = _item_form(event, item)
    warning = time_change_warning(event) if item is not None else None
    if form.validate_on_submit():
        values = _item_values(event, form)
        chosen, problems = resolve_speakers(form.speakers.data or "")
        times_changed = item is not None and (values["starts_at"], values["ends_at"]) != (
            item.starts_at,
            item.ends_at,
        )
        if problems:
            form.speakers.errors.extend(problems)
        elif times_changed and warning and not form.confirm_time_change.data:
            form.confirm_time_change.errors.append(warning)
        else:
            seats_before = item_capacity(item) if item is not None else None
            row = item or ProgrammeItem(event=event)
            save_translations(form, row)
            saved = save_item(row, values, chosen)
            if item is not None and item_capacity(saved) != seats_before:
                capacity_changed(event)
            flash(_("« %(title)s » enregistré.", title=saved.title), "ok")
            return redirect(
                url_for("admin.programme", event_id=event.id) + f"#item-{saved.id}", code=303
            )
        db.session.rollback()
    conflicts = []
    if item is not None:
        conflicts = conflicts_by_item(programme_conflicts(event)).get(item.id, [])
    return render_template(
        "admin/item_form.html",
        event=event,
        item=item,
        form=form,
        warning=warning,
        conflicts=conflicts,
        action=ActionForm(),
    ), (400 if form.errors else 200)


@bp.post("/events/<int:event_id>/items/<int:item_id>/move")
def item_move(event_id: int, item_id: int):
    event = get_event(event_id)
    item = _child(ProgrammeItem, event, item_id)
    form = MoveForm(prefix=f"move-{item.id}")
    form.room_id.choices = _room_choices(event)
    if form.validate_on_submit():
        starts_at = form.starts_at.data.replace(tzinfo=event.tz)
        warning = time_change_warning(event)
        if starts_at != item.starts_at and warning and not form.confirm_time_change.data:
            flash(warning, "error")
            return redirect(
                url_for("admin.item_edit", event_id=event.id, item_id=item.id), code=303
            )
        room = db.session.get(Room, form.room_id.data) if form.room_id.data else None
        move_item(item, room, starts_at)
        flash(_("« %(title)s » déplacé.", title=item.title), "ok")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(f"« {item.title} » : {message}", "error")
    return redirect(url_for("admin.programme", event_id=event.id) + f"#item-{item.id}", code=303)


@bp.post("/events/<int:event_id>/items/<int:item_id>/delete")
def item_delete(event_id: int, item_id: int):
    event = get_event(event_id)
    item = _child(ProgrammeItem, event, item_id)
    if not ActionForm().validate():
        abort(400)
    title = item.title
    try:
        deleted = delete_item(item)
    except IntegrityError:
        db.session.rollback()
        flash(
            _("« %(title)s » a des inscriptions : il ne peut pas être supprimé.", title=title),
            "error",
        )
    else:
        if deleted:
            flash(_("« %(title)s » supprimé.", title=title), "ok")
        else:
            flash(_("« %(title)s » annulé : les inscrits en seront prévenus.", title=title), "ok")
    return redirect(url_for("admin.programme", event_id=event.id), code=303)

"""Organiser area: ranked preferences and the allocation of workshop seats.

GET   /admin/events/<id>/allocation        the mode, and the dry run's figures (ranks
                                           received, fill, waitlist, first come first served);
                                           ?full=1 adds the full re-run's simulation
POST  /admin/events/<id>/allocation/mode   value=preferences|first-come
POST  /admin/events/<id>/allocation/run    seats everyone pending and mails them
POST  /admin/events/<id>/allocation/full   a full re-run (confirm=1 required): everyone who
                                           ranked allocated again, the people moved mailed
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp import mail
from eventapp.admin.blueprint import bp
from eventapp.admin.forms import ActionForm
from eventapp.admin.views import get_event
from eventapp.allocation.figures import people_figures
from eventapp.allocation.rerun import rerun
from eventapp.allocation.seating import (
    PREFERENCES_MODE,
    AllocationRefused,
    pending_registrations,
    registered_count,
    run,
    set_after_allocation,
    set_mode,
)
from eventapp.models import Event, ProgrammeItem


def _page(event: Event):
    dry = full = None
    pending = 0
    can_rerun = False
    if event.allocation_mode == PREFERENCES_MODE:
        pending = len(pending_registrations(event))
        if pending:
            dry = run(event, dry_run=True)
        # Someone seated or waiting already: a full re-run can be simulated, on demand
        # (it solves the whole event again, twice).
        can_rerun = registered_count(event, with_preferences=True) > pending
        if can_rerun and request.args.get("full") == "1":
            full = rerun(event, dry_run=True)
    items: dict[int, ProgrammeItem] = {item.id: item for item in event.items}
    return render_template(
        "admin/allocation.html",
        event=event,
        pending=pending,
        dry=dry,
        full=full,
        can_rerun=can_rerun,
        people=people_figures,
        items=items,
        form=ActionForm(),
    )


@bp.get("/events/<int:event_id>/allocation")
def allocation(event_id: int):
    return _page(get_event(event_id))


def _set(event_id: int, setter, done: str):
    """One of the allocation's settings from its switch (POST + CSRF); refusals flashed."""
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    try:
        setter(event, request.form.get("value", ""))
    except AllocationRefused as refused:
        flash(str(refused.message), "error")
    else:
        flash(done, "ok")
    return redirect(url_for("admin.allocation", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/allocation/mode")
def allocation_mode(event_id: int):
    return _set(event_id, set_mode, _("Mode d'attribution enregistré."))


@bp.post("/events/<int:event_id>/allocation/after")
def allocation_after(event_id: int):
    return _set(event_id, set_after_allocation, _("Règle des inscriptions tardives enregistrée."))


@bp.post("/events/<int:event_id>/allocation/run")
def allocation_run(event_id: int):
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    try:
        done = run(event)
    except AllocationRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("admin.allocation", event_id=event.id), code=303)
    mail.deliver_new()
    flash(
        _(
            "%(seated)s personne(s) confirmée(s), %(waiting)s en liste d'attente ; "
            "un courriel à chacune.",
            seated=done.optimal.seated,
            waiting=len(done.optimal.waitlist),
        ),
        "ok",
    )
    return redirect(url_for("admin.allocation", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/allocation/full")
def allocation_full(event_id: int):
    """The full re-run, behind its own button and a ticked confirmation."""
    event = get_event(event_id)
    if not ActionForm().validate():
        abort(400)
    back = redirect(url_for("admin.allocation", event_id=event.id), code=303)
    if request.form.get("confirm") != "1":
        flash(
            _(
                "Cochez la case de confirmation pour relancer toute l'attribution : "
                "rien n'a changé."
            ),
            "error",
        )
        return back
    try:
        done = rerun(event)
    except AllocationRefused as refused:
        flash(str(refused.message), "error")
        return back
    mail.deliver_new()
    flash(
        _(
            "%(moved)s personne(s) déjà placée(s) changent d'ateliers, %(promoted)s "
            "quitte(nt) la liste d'attente ; un courriel à chaque personne concernée, "
            "aucun aux autres.",
            moved=done.moved,
            promoted=done.promoted,
        ),
        "ok",
    )
    return back

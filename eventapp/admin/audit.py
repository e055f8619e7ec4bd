"""Organiser area: an event's audit trail, newest first, and its CSV export.

GET /admin/events/<id>/audit        50 entries a page: ?page=
GET /admin/events/<id>/audit.csv    every entry (UTF-8 with BOM, formulas neutralised)
"""

from __future__ import annotations

import json

from flask import Response, render_template, request
from sqlalchemy import func, select

from eventapp.admin.blueprint import bp
from eventapp.admin.views import get_event
from eventapp.audit import VIA, action_label, shown_label
from eventapp.extensions import db
from eventapp.interop.spreadsheets import rows_to_csv
from eventapp.models import AuditEntry, Event
from eventapp.request_input import parse_id

PAGE_SIZE = 50

CSV_COLUMNS = (
    "at", "actor", "via", "action", "action_label", "subject_kind", "subject_id", "subject",
    "detail",
)  # fmt: skip


def _entries(event: Event):
    return select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id.desc())


def _row(event: Event, entry: AuditEntry) -> dict:
    return {
        "at": event.local(entry.at).isoformat(timespec="seconds"),
        "actor": entry.actor_email,
        "via": str(VIA.get(entry.via, entry.via)),
        "action": entry.action,
        "action_label": action_label(entry.action),
        "subject_kind": entry.subject_kind,
        "subject_id": entry.subject_id if entry.subject_id is not None else "",
        "subject": shown_label(entry.subject_label),
        "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
        if entry.detail
        else "",
    }


@bp.get("/events/<int:event_id>/audit")
def audit_trail(event_id: int):
    event = get_event(event_id)
    total = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event_id == event.id)
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(parse_id(request.args.get("page")) or 1, 1), pages)
    entries = db.session.scalars(
        _entries(event).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "admin/audit.html",
        event=event,
        rows=[_row(event, entry) for entry in entries],
        total=total,
        page=page,
        pages=pages,
    )


@bp.get("/events/<int:event_id>/audit.csv")
def audit_export(event_id: int):
    event = get_event(event_id)
    rows = [_row(event, entry) for entry in db.session.scalars(_entries(event))]
    return Response(
        rows_to_csv(rows, CSV_COLUMNS),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="journal-{event.slug}.csv"',
        },
    )

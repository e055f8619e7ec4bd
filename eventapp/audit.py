"""The audit trail of each event: ``record`` writes who did what and when, from the
organiser area, the organiser API, a participant's own page or the command line.

It imports only the models and the extensions, so that every layer above may call it:
the views, the organiser helpers both interfaces share, and the registration domain
(an erasure removes the person's data from the trail too, ``forget_registration``).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import update

from eventapp.extensions import db
from eventapp.models import AuditEntry, Event, ProgrammeItem, Registration, Room, Theme

# What an erased person's registration is called in the trail, once their data is gone.
ERASED_LABEL = "personne effacée"

ACTIONS = {
    "event.created": _l("Événement créé"),
    "event.edited": _l("Événement modifié"),
    "event.published": _l("Événement publié"),
    "event.unpublished": _l("Événement repassé en brouillon"),
    "event.registration_opened": _l("Inscriptions ouvertes"),
    "event.registration_closed": _l("Inscriptions fermées"),
    "event.proceedings_published": _l("Compte-rendu publié"),
    "event.proceedings_withdrawn": _l("Compte-rendu retiré"),
    "event.manager_added": _l("Gestionnaire ajouté"),
    "event.manager_removed": _l("Gestionnaire retiré"),
    "room.created": _l("Salle créée"),
    "room.changed": _l("Salle modifiée"),
    "room.deleted": _l("Salle supprimée"),
    "theme.created": _l("Thème créé"),
    "theme.changed": _l("Thème modifié"),
    "theme.deleted": _l("Thème supprimé"),
    "item.created": _l("Élément de programme créé"),
    "item.changed": _l("Élément de programme modifié"),
    "item.moved": _l("Élément de programme déplacé"),
    "item.deleted": _l("Élément de programme supprimé"),
    "item.cancelled": _l("Élément de programme annulé"),
    "registration.confirmed": _l("Inscription confirmée"),
    "registration.cancelled": _l("Inscription annulée"),
    "registration.moved": _l("Ateliers d'une inscription modifiés"),
    "registration.checked_in": _l("Présence notée"),
    "registration.checked_out": _l("Présence retirée"),
    "registration.erased": _l("Données d'une personne effacées"),
    "registrations.imported": _l("Inscriptions importées"),
    "registrations.exported": _l("Inscriptions exportées"),
    "attendance.downloaded": _l("Feuille de présence téléchargée"),
    "mailing.sent": _l("Message envoyé aux inscrits"),
}

VIA = {
    "admin": _l("espace organisateurs"),
    "api": _l("API"),
    "participant": _l("la personne elle-même"),
    "system": _l("ligne de commande"),
}


def action_label(key: str) -> str:
    return str(ACTIONS.get(key, key))


def shown_label(label: str) -> str:
    """The subject's label in the reader's language (an erased person's, translated)."""
    return str(_l("personne effacée")) if label == ERASED_LABEL else label


def _actor() -> tuple[Any, str]:
    """Who acts, read from the request: the bearer token's organiser under the API, the
    logged-in organiser in the organiser area, else the participant (their own page) or
    the system (no request: the command line)."""
    if not has_request_context():
        return None, "system"
    blueprint = request.blueprint or ""
    if blueprint.startswith("api") and "organiser" in g:
        return g.organiser, "api"
    if blueprint == "admin" and current_user.is_authenticated:
        return current_user, "admin"
    return None, "participant"


def describe(subject: Any) -> tuple[str, int | None, str]:
    """A subject's kind, id and label as they are now."""
    if isinstance(subject, Registration):
        if subject.erased_at is not None:
            return "registration", subject.id, ERASED_LABEL
        return "registration", subject.id, f"{subject.full_name} <{subject.email}>"
    if isinstance(subject, ProgrammeItem):
        return "item", subject.id, subject.title
    if isinstance(subject, Room):
        return "room", subject.id, subject.name
    if isinstance(subject, Theme):
        return "theme", subject.id, f"{subject.number}. {subject.title}"
    if isinstance(subject, Event):
        return "event", subject.id, subject.title
    return "", None, ""


def record(
    event: Event | int,
    action: str,
    subject: Any = None,
    *,
    detail: dict | None = None,
    commit: bool = True,
) -> AuditEntry:
    """Adds an entry to the event's trail: the actor comes from the request. ``subject``
    is a model row or a ``describe`` triple taken before the row went. With ``commit``
    (the default, for a view whose action has committed) the entry is committed at
    once; without, it goes with the caller's unit of work."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    kind, subject_id, label = subject if isinstance(subject, tuple) else describe(subject)
    actor, via = _actor()
    entry = AuditEntry(
        event_id=event if isinstance(event, int) else event.id,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else "",
        via=via,
        action=action,
        subject_kind=kind,
        subject_id=subject_id,
        subject_label=label[:300],
        detail=detail or None,
    )
    db.session.add(entry)
    if commit:
        # The entry is all this commit stores: the rows the view goes on reading (the
        # event, the account) stay loaded instead of being read again.
        session = db.session()
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep
    return entry


def forget_registrations(registration_ids: list[int]) -> None:
    """Removes erased people's data from the trail: their registrations' labels become
    ``ERASED_LABEL`` (in the caller's unit of work)."""
    if not registration_ids:
        return
    db.session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.subject_kind == "registration",
            AuditEntry.subject_id.in_(registration_ids),
        )
        .values(subject_label=ERASED_LABEL)
        .execution_options(synchronize_session=False)
    )

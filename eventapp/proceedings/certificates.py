"""Attendance certificates (« attestation de présence »): one A4 page per person checked in.

Same renderer, fonts, safe fetcher and print CSS as the compte-rendu (render.py,
proceedings.css) plus certificate.css; labels in the event's language. Certificates carry
personal data: they are rendered on request and never stored under exports/ (an erased
registration leaves no file behind).
"""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Registration, RegistrationChoice
from eventapp.proceedings.assembly import event_dates, last_change, written_date


def has_certificate(registration: Registration) -> bool:
    """Whether the person was checked in on the day (and their data is still there)."""
    return registration.checked_in_at is not None and registration.erased_at is None


def checked_in_registrations(event: Event) -> list[Registration]:
    """Everyone checked in at the event, by last then first name, choices loaded."""
    statement = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.checked_in_at.is_not(None),
            Registration.erased_at.is_(None),
        )
        .options(
            selectinload(Registration.choices)
            .joinedload(RegistrationChoice.item)
            .joinedload(ProgrammeItem.room)
        )
    )
    found = db.session.scalars(statement).all()
    return sorted(found, key=lambda r: (r.last_name.casefold(), r.first_name.casefold(), r.id))


def attended_workshops(registration: Registration) -> list[ProgrammeItem]:
    """The workshops the person chose, in time order, leaving out cancelled ones."""
    items = [choice.item for choice in registration.choices if not choice.item.cancelled_at]
    return sorted(items, key=lambda item: (item.starts_at, item.id))


def certificates_html(event: Event, registrations: list[Registration]) -> str:
    """One HTML document with one certificate per registration, in the event's language."""
    with force_locale(event.language):
        template = current_app.jinja_env.get_template("proceedings/certificate.html")
        if len(registrations) == 1:
            title = _(
                "Attestation de présence : %(name)s — %(event)s",
                name=registrations[0].full_name,
                event=event.title,
            )
        else:
            title = _("Attestations de présence : %(event)s", event=event.title)
        return template.render(
            event=event,
            people=[(person, attended_workshops(person)) for person in registrations],
            dates=event_dates(event, event.language),
            signed_on=written_date(event.local(event.ends_at).date(), event.language),
            changed=last_change(event).strftime("%Y-%m-%dT%H:%M:%SZ"),
            doc_title=title,
        )


def certificates_pdf(event: Event, registrations: list[Registration]) -> bytes:
    """The certificates as one PDF (tagged PDF/UA-1), one page each."""
    from eventapp.proceedings.render import render_pdf  # loads WeasyPrint

    html = certificates_html(event, registrations)
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode()
    return render_pdf(html, variant="accessible", identifier=identifier)

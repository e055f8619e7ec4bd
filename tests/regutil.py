"""Helpers for the registration tests: filling the form as a browser would."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from helpers import csrf_token
from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.models import OutboxMessage, Registration


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the registration form (csrf_token, submission)."""
    fields = {"csrf_token": csrf_token(html)}
    match = re.search(r'name="submission"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="submission"', html
    )
    if match:
        fields["submission"] = match.group(1)
    return fields


def person(email: str = "ana.lopez@example.org", **overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Ana",
        "last_name": "López",
        "email": email,
        "organisation": "CPAS de Namur",
        "job_title": "Assistante sociale",
        "consent": "y",
    }
    data.update(overrides)
    return data


def post_registration(
    client: FlaskClient, slug: str, picks: list[int], data: dict | None = None, **headers
):
    """GETs the form, then POSTs it with the person's data and one pick per round."""
    page = client.get(f"/events/{slug}/register", headers=headers)
    assert page.status_code == 200
    payload = form_fields(page.text) | (data if data is not None else person())
    for number, item_id in enumerate(picks, 1):
        payload[f"workshop_{number}"] = str(item_id)
    return client.post(f"/events/{slug}/register", data=payload, headers=headers)


def registration_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Registration.id)))


def outbox(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            statement = statement.where(OutboxMessage.kind == kind)
        rows = list(db.session.scalars(statement))
        db.session.expunge_all()
        return rows


def token_of(location: str) -> str:
    match = re.fullmatch(r"(?:https?://[^/]+)?/r/([A-Za-z0-9_-]+)/", location)
    assert match, location
    return match.group(1)


def reset_rate_limits() -> None:
    from eventapp.public.registration import limiter

    limiter.reset()

"""Shared fixtures for the API tests: organisers with tokens, an event with workshops."""

from __future__ import annotations

import pytest
from factories import make_event

from eventapp.admin.accounts import create_organiser
from eventapp.admin.api_tokens import create_token
from eventapp.extensions import db
from eventapp.models import User

PASSWORD = "un mot de passe solide"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(name="organisers")
def organisers_fixture(app) -> dict[str, str]:
    """Alice manages "journee-ouverte" (published, registration open, two rounds of three
    workshops); Bob manages nothing; each has a live API token. Their secrets by name."""
    from eventapp.public.registration import limiter

    limiter.reset()
    with app.app_context():
        alice = create_organiser("alice@example.org", PASSWORD)
        bob = create_organiser("bob@example.org", PASSWORD)
        event = make_event(workshop_capacity=1)
        event.managers = [db.session.get(User, alice.id)]
        db.session.commit()
        secrets = {
            "alice": create_token(alice, "script d'Alice").secret,
            "bob": create_token(bob, "script de Bob").secret,
        }
        db.session.remove()
    return secrets

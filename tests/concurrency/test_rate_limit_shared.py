"""The registration rate limit holds across gunicorn workers when its store is Redis
(EVENTAPP_RATELIMIT_STORAGE_URI), against a real redis-server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from factories import make_event, workshops
from helpers import visible_text
from served import Browser, gunicorn, redis_server, shared_database

from eventapp.extensions import db


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


def test_limit_is_shared_by_the_workers_through_redis(tmp_path: Path, redis_url: str) -> None:
    app, uri = shared_database(tmp_path)
    with app.app_context():
        event = make_event(rounds=1)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
        db.engine.dispose()
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "limit-test-secret",
        "EVENTAPP_RATELIMIT_STORAGE_URI": redis_url,
        "EVENTAPP_REGISTRATION_RATE_LIMIT": "4 per minute",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
    }
    statuses, last_page = [], ""
    with gunicorn(env, tmp_path, workers=3) as port:
        for number in range(10):
            person = Browser(port)
            status, _headers, page = person.request("GET", f"/events/{slug}/register")
            assert status == 200  # reading the form is never limited
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            status, _headers, last_page = person.request(
                "POST",
                f"/events/{slug}/register",
                {
                    "csrf_token": token,
                    "first_name": "Personne",
                    "last_name": str(number),
                    "email": f"limite{number}@example.org",
                    "consent": "y",
                    "workshop_1": str(item_id),
                },
            )
            statuses.append(status)
    assert statuses == [303] * 4 + [429] * 6
    text = visible_text(last_page)
    assert "Trop de demandes" in text and "Merci de patienter une minute" in text
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert keys, "the counters live in Redis"

"""Served with the repository's gunicorn.conf.py, the access log never holds a participant's
private link: /r/<token>/… is written with the token masked."""

from __future__ import annotations

import re
import time
from pathlib import Path

from factories import make_event, workshops
from served import Browser, serving

from eventapp import create_app
from eventapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_the_access_log_masks_participant_tokens(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, str(tmp_path / "i"))
    with app.app_context():
        db.create_all()
        event = make_event(slug="journal", rounds=1, themes=2)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
        db.engine.dispose()
    log = tmp_path / "access.log"
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "access-log-test-secret",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
        "EVENTAPP_MAIL_WORKER": "0",
        "EVENTAPP_ACCESS_LOG": str(log),
    }
    with serving(env, tmp_path, 1, ROOT / "gunicorn.conf.py") as (port, _server):
        person = Browser(port)
        status, _headers, page = person.request("GET", f"/events/{slug}/register")
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = {
            "csrf_token": csrf, "first_name": "Inès", "last_name": "Dubois",
            "email": "ines.dubois@example.org", "consent": "y", "workshop_1": str(item_id),
        }  # fmt: skip
        status, headers, _page = person.request("POST", f"/events/{slug}/register", form)
        assert status == 303
        token = headers["Location"].rstrip("/").rsplit("/", 1)[1]
        for path in (f"/r/{token}/", f"/r/{token}/calendar.ics", f"/r/{token}/export.json"):
            assert person.request("GET", path)[0] == 200
        assert person.request("GET", f"/r/{token}/cancel?from=mail")[0] == 200
        deadline = time.monotonic() + 10
        while log.read_text().count("/r/") < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # each worker writes its lines as it answers

    lines = log.read_text().splitlines()
    assert token not in log.read_text()
    assert any(f"GET /events/{slug}/register " in line for line in lines)  # the rest is kept
    masked = [re.search(r'"GET (/r/\S*) HTTP', line) for line in lines]
    assert sorted(match.group(1) for match in masked if match) == [
        "/r/***/",
        "/r/***/calendar.ics",
        "/r/***/cancel?from=mail",
        "/r/***/export.json",
    ]

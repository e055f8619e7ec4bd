"""No seat sold twice: hundreds of people register at once for a 30-seat workshop on an app
really served by gunicorn with several worker processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from factories import make_event, workshops
from served import ON_POSTGRES, Browser, gunicorn, release, shared_database
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import OutboxMessage, Registration

PEOPLE = 220
SEATS = 30
WORKERS = 4
BACKENDS = ["sqlite"] + (["postgresql"] if ON_POSTGRES else [])


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    backend = request.param
    app, uri = shared_database(tmp_path, backend, request)
    with app.app_context():
        event = make_event(slug="ruee", rounds=1, themes=2, workshop_capacity=SEATS)
        slug, item_id = event.slug, workshops(event)[0][0]
        db.session.remove()
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "concurrency-test-secret",
        "EVENTAPP_RATELIMIT_ENABLED": "false",
        "EVENTAPP_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EVENTAPP_MAIL_SERVER": "",
    }
    try:
        with gunicorn(env, tmp_path, WORKERS) as port:
            yield {"backend": backend, "port": port, "slug": slug, "item_id": item_id, "app": app}
    finally:
        release(app, backend)


@pytest.mark.parametrize("served", BACKENDS, indirect=True)
def test_two_hundred_people_at_once_for_thirty_seats(served, capsys) -> None:
    port, slug, item_id = served["port"], served["slug"], served["item_id"]
    people = [Browser(port) for _ in range(PEOPLE)]
    forms = []
    for number, browser in enumerate(people):
        status, _headers, page = browser.request("GET", f"/events/{slug}/register")
        assert status == 200
        assert f'value="{item_id}"' in page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        submission = re.search(r'name="submission"[^>]*value="([^"]+)"', page)
        forms.append(
            {
                "csrf_token": token,
                "submission": submission.group(1) if submission else "",
                "first_name": f"Personne{number}",
                "last_name": "Test",
                "email": f"personne{number}@example.org",
                "consent": "y",
                "workshop_1": str(item_id),
            }
        )

    start = threading.Barrier(PEOPLE)

    def register(index: int):
        start.wait()
        try:
            return people[index].request("POST", f"/events/{slug}/register", forms[index])
        except OSError as error:
            return (None, {}, repr(error))

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(register, range(PEOPLE)))

    codes = Counter(status for status, _headers, _body in answers)
    server_errors = sum(n for code, n in codes.items() if code is None or code >= 500)
    tokens = []
    for status, headers, _body in answers:
        if status == 303:
            match = re.fullmatch(r"(?:http://[^/]+)?/r/([A-Za-z0-9_-]+)/", headers["Location"])
            assert match, headers["Location"]
            tokens.append(match.group(1))

    exported = []
    for token in tokens:
        status, _headers, body = Browser(port).request("GET", f"/r/{token}/export.json")
        assert status == 200
        exported.append(json.loads(body))
    by_status = Counter(data["status"] for data in exported)
    positions = sorted(d["waitlist_position"] for d in exported if d["status"] == "waitlisted")

    app = served["app"]
    with app.app_context():
        rows = db.session.scalars(
            select(Registration).where(Registration.event.has(slug=slug)).order_by(Registration.id)
        ).all()
        stored = [(row.status.value, row.waitlist_rank) for row in rows]
        mails = db.session.scalars(select(OutboxMessage.status)).all()
        db.session.remove()

    with capsys.disabled():
        print(
            f"\n[concurrency {served['backend']}] {PEOPLE} concurrent registrations, "
            f"{SEATS} seats, {WORKERS} gunicorn workers: "
            f"confirmed={by_status['confirmed']} waitlisted={by_status['waitlisted']} "
            f"errors={server_errors} answers={dict(codes)} stored={len(stored)} "
            f"mails={Counter(mails)}"
        )

    assert server_errors == 0, codes
    assert codes == {303: PEOPLE}, codes
    assert len(set(tokens)) == PEOPLE, "every person has their own registration"
    assert by_status == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    assert positions == list(range(1, PEOPLE - SEATS + 1)), "a gapless line, no shared place"
    # in the order the database accepted them: the first 30 rows hold the seats, and the
    # waiting list follows the rows' order
    assert len(stored) == PEOPLE
    assert [status for status, _rank in stored] == ["confirmed"] * SEATS + ["waitlisted"] * (
        PEOPLE - SEATS
    )
    ranks = [rank for status, rank in stored if status == "waitlisted"]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert Counter(mails) == {"sent": PEOPLE}, "every confirmation or waiting-list mail went out"

"""Two hundred people rank the themes at once on an app really served by gunicorn with
several worker processes (SQLite, and PostgreSQL when available); then the allocation seats
them all, within every capacity and the themes rule."""

from __future__ import annotations

import random
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
from eventapp.models import OutboxMessage, ProgrammeItem, Registration

PEOPLE = 200
SEATS = 30  # 4 themes of 30 seats: 120 people can be seated
WORKERS = 4
THEMES = ["1", "2", "3", "4"]
BACKENDS = ["sqlite"] + (["postgresql"] if ON_POSTGRES else [])


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    backend = request.param
    app, uri = shared_database(tmp_path, backend, request)
    with app.app_context():
        event = make_event(slug="souhaits", rounds=2, themes=4, workshop_capacity=SEATS)
        event.allocation_mode = "preferences"
        db.session.commit()
        rounds = workshops(event)
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
            yield {"backend": backend, "port": port, "rounds": rounds, "app": app}
    finally:
        release(app, backend)


@pytest.mark.parametrize("served", BACKENDS, indirect=True)
def test_two_hundred_rankings_at_once_then_one_allocation(served, capsys) -> None:
    port, app = served["port"], served["app"]
    chance = random.Random(17)
    people = [Browser(port) for _ in range(PEOPLE)]
    forms = []
    for number, browser in enumerate(people):
        status, _headers, page = browser.request("GET", "/events/souhaits/register")
        assert status == 200 and 'name="rank_4"' in page
        ranking = chance.sample(THEMES, len(THEMES))
        forms.append(
            {
                "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
                "first_name": f"Personne{number}",
                "last_name": "Test",
                "email": f"personne{number}@example.org",
                "consent": "y",
                **{f"rank_{n}": key for n, key in enumerate(ranking, 1)},
            }
        )
    start = threading.Barrier(PEOPLE)

    def register(index: int):
        start.wait()
        try:
            return people[index].request("POST", "/events/souhaits/register", forms[index])
        except OSError as error:
            return (None, {}, repr(error))

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(register, range(PEOPLE)))
    codes = Counter(status for status, _headers, _body in answers)
    assert codes == {303: PEOPLE}, codes

    result = app.test_cli_runner().invoke(args=["allocation", "run", "souhaits"])
    with capsys.disabled():
        print(f"\n[allocation {served['backend']}] {PEOPLE} rankings at once:\n{result.output}")
    assert result.exit_code == 0, result.output

    with app.app_context():
        rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        statuses = Counter(row.status.value for row in rows)
        fill: Counter[int] = Counter()
        for row in rows:
            ids = [choice.item_id for choice in row.choices]
            if row.status.value == "confirmed":
                items = [db.session.get(ProgrammeItem, i) for i in ids]
                assert len(items) == 2
                assert len({item.theme_id for item in items}) == 2, "a theme twice"
                assert sorted(0 if i in served["rounds"][0] else 1 for i in ids) == [0, 1], (
                    "one workshop a round"
                )
                fill.update(ids)
            else:
                assert ids == []
        kinds = Counter(db.session.scalars(select(OutboxMessage.kind)))
        db.session.remove()
    assert len(rows) == PEOPLE
    assert statuses == {"confirmed": 4 * SEATS, "waitlisted": PEOPLE - 4 * SEATS}
    assert all(count <= SEATS for count in fill.values())
    assert kinds == {
        "pending": PEOPLE,
        "confirmed": 4 * SEATS,
        "waitlisted": PEOPLE - 4 * SEATS,
    }

"""Time and SQL queries per request for the pages and feeds of a large event."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event as sa_event

from bench.make_large_event import make_large_event
from bench.timing import Figure, repeat, summarise
from eventapp.extensions import db

SLUG = "large-event"
URLS = {
    "event page": f"/events/{SLUG}/",
    "calendar.ics": f"/events/{SLUG}/calendar.ics",
    "schedule.xml": f"/events/{SLUG}/schedule.xml",
    "API event": f"/api/v1/events/{SLUG}",
}


def _hello_client():
    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    return hello.test_client()


def run(app: Flask, runs: int) -> list[Figure]:
    with app.app_context():
        make_large_event(SLUG)
        engine = db.engine
    client = app.test_client()
    baseline_client = _hello_client()
    baseline, _ = summarise(repeat(lambda: baseline_client.get("/"), runs=runs * 4))
    figures = [Figure("hello (Flask test client)", baseline, 0.0, "ms", note="baseline")]
    for name, url in URLS.items():
        statements: list[str] = []

        def count(*args, statements=statements):
            statements.append(args[2])

        sa_event.listen(engine, "before_cursor_execute", count)
        answer = client.get(url)
        sa_event.remove(engine, "before_cursor_execute", count)
        assert answer.status_code == 200, (url, answer.status_code)
        median, spread = summarise(repeat(lambda url=url: client.get(url), runs=runs))
        figures.append(
            Figure(
                f"{name} (500 items)",
                median,
                spread,
                "ms",
                baseline,
                f"{len(statements)} SQL queries, {len(answer.data) // 1024} KiB",
            )
        )
    return figures

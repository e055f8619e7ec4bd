"""Time and SQL queries per request for the pages and feeds of a large event."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import event as sa_event

from bench import served
from bench.make_large_event import make_large_event
from bench.timing import Figure, repeat, summarise
from eventapp.extensions import db

SLUG = "large-event"
URLS = {
    "event page": f"/events/{SLUG}/",
    "speakers page": f"/events/{SLUG}/speakers",
    "registration form": f"/events/{SLUG}/register",
    "calendar.ics": f"/events/{SLUG}/calendar.ics",
    "schedule.xml": f"/events/{SLUG}/schedule.xml",
    "API event": f"/api/v1/events/{SLUG}",
    "registrations list": "/admin/events/{event_id}/registrations",
    "registrations CSV": "/admin/events/{event_id}/registrations.csv",
    "personal calendar.ics": "/r/{token}/calendar.ics",
}


def _hello_client():
    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    return hello.test_client()


def _organiser_client(app: Flask):
    """A test client logged in as an administrator (the organiser pages need one)."""
    from eventapp.admin.accounts import create_organiser

    with app.app_context():
        user = create_organiser("bench@example.org", "un mot de passe de mesure", is_admin=True)
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _cold_calendar(app: Flask, client, url: str, runs: int, baseline: float) -> Figure:
    """calendar.ics as the first request after a programme change: its feed file (see
    eventapp.calendar.feed_cache) and what the worker keeps of it are removed before each
    request, so it is built again."""
    folder = Path(app.config["EXPORTS_DIR"]) / "calendars"

    def cold():
        shutil.rmtree(folder, ignore_errors=True)
        _drop_kept_pages(app)
        return client.get(url)

    median, spread = summarise(repeat(cold, runs=runs))
    return Figure(
        "calendar.ics, first after a change (500 items, 5,000 people)",
        median,
        spread,
        "ms",
        baseline,
        "feed file built anew",
    )


def _drop_kept_pages(app: Flask) -> None:
    with app.app_context():
        try:
            from eventapp.export_cache import page_cache
        except ImportError:  # before pages were kept: every request is a first one
            pass
        else:
            page_cache().clear()


def _cold_page(app: Flask, client, name: str, url: str, runs: int, baseline: float) -> Figure:
    """A page as the first request after a programme change: the pages each worker keeps
    (eventapp.export_cache.page_cache) are dropped before each request, so it is built anew."""

    def cold():
        _drop_kept_pages(app)
        return client.get(url)

    median, spread = summarise(repeat(cold, runs=runs))
    return Figure(
        f"{name}, first after a change (500 items, 5,000 people)",
        median,
        spread,
        "ms",
        baseline,
        "built anew",
    )


def run(app: Flask, runs: int) -> list[Figure]:
    from eventapp.models import Registration

    with app.app_context():
        event = make_large_event(SLUG)
        event_id = event.id
        token = db.session.scalars(
            db.select(Registration.token).where(Registration.event_id == event_id)
        ).first()
        engine = db.engine
    # A served worker starts with the application frozen out of the collector's sight
    # (gunicorn.conf.py, pre_fork), not with the objects made here to fill the database.
    gc.collect()
    gc.freeze()
    client = _organiser_client(app)
    baseline_client = _hello_client()
    baseline, _ = summarise(repeat(lambda: baseline_client.get("/"), runs=runs * 4))
    figures = [Figure("hello (Flask test client)", baseline, 0.0, "ms", note="baseline")]
    for name, template in URLS.items():
        url = template.format(event_id=event_id, token=token)
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
                f"{name} (500 items, 5,000 people)",
                median,
                spread,
                "ms",
                baseline,
                f"{len(statements)} SQL queries, {len(answer.data) // 1024} KiB",
            )
        )
        if name == "calendar.ics":
            figures.append(_cold_calendar(app, client, url, runs, baseline))
        elif name in ("event page", "speakers page", "registration form"):
            figures.append(_cold_page(app, client, name, url, runs, baseline))
    served_pages = ("event page", "registration form", "calendar.ics")
    return figures + served.run(app, event_id, {name: URLS[name] for name in served_pages}, runs)

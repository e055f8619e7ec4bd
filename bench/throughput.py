"""Throughput of the public pages everyone asks for at once (the invitation mail has just
reached a few thousand inboxes; calendar clients poll), against a Flask "hello" measured the
same way in the same run.

Each page: gunicorn with the repository's gunicorn.conf.py (gthread, app preloaded, the mail
watcher beside it) and 2 workers on 127.0.0.1, then **locust** (headless, FastHttpUser,
16 users, no wait) GETting the page again and again as a first visit (no cookie). There is
no wrk on this machine: locust is the load generator, and it runs on the same two cores as
the server, so a ratio to hello (served and loaded alike) is the figure to read; repeated,
reported as the median and half the spread.
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

from flask import Flask

from bench.load import REPEATS, ROOT, _locust_stats, _serve, _spread, served_env
from bench.timing import Figure
from eventapp.extensions import db

WORKERS = 2
FORM_SLUG = "bench-day"


def _pages() -> dict[str, str]:
    from eventapp.demo import DEMO_SLUG

    return {
        "event page (demo)": f"/events/{DEMO_SLUG}/",
        "speakers page (demo)": f"/events/{DEMO_SLUG}/speakers",
        "programme calendar.ics (demo)": f"/events/{DEMO_SLUG}/calendar.ics",
        "registration form GET (open event, 2 rounds)": f"/events/{FORM_SLUG}/register",
    }


def _prepare(app: Flask) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from factories import make_event

    from eventapp.demo import load_demo

    with app.app_context():
        load_demo()
        make_event(FORM_SLUG, workshop_capacity=None, title="Journée de mesure")
        db.session.remove()


def run(app: Flask, runs: int) -> list[Figure]:
    _prepare(app)
    env = served_env(app)
    measured: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        served = [("hello", "bench.hello:app", "/")] + [
            (name, "eventapp:create_app()", path) for name, path in _pages().items()
        ]
        servers = {}
        try:
            for spec in {spec for _, spec, _ in served}:
                servers[spec] = _serve(spec, WORKERS, env)
            for _ in range(REPEATS):  # interleaved: the machine's load changes over a run
                for name, spec, path in served:
                    _, port = servers[spec]
                    mode = "hello" if name == "hello" else "get"
                    stats = _locust_stats(port, mode, Path(folder), {"BENCH_PATH": path})
                    measured.setdefault(name, []).append(stats)
        finally:
            for server, _ in servers.values():
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    hello = statistics.median(m["rps"] for m in measured["hello"])
    figures = [
        Figure(
            f"hello, {WORKERS} workers (locust)",
            hello,
            _spread([m["rps"] for m in measured["hello"]]),
            "req/s",
            note="ceiling for the pages below",
        )
    ]
    for name, values in measured.items():
        if name == "hello":
            continue
        rps = [m["rps"] for m in values]
        figures.append(
            Figure(
                f"{name}, {WORKERS} workers (locust)",
                statistics.median(rps),
                _spread(rps),
                "req/s",
                hello,
                f"p50 {statistics.median(m['p50'] for m in values):.0f} ms, "
                f"p99 {statistics.median(m['p99'] for m in values):.0f} ms, "
                f"{sum(m['failures'] for m in values):.0f} failures",
            )
        )
    return figures

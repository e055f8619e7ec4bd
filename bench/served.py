"""The large event's pages as a visitor gets them from `make serve`'s configuration
(gunicorn.conf.py, here with 2 workers), timed from outside, one request at a time: the first
request after a programme change (the version row changes, as any edit does; the worker that
answers builds the page) and the next ones, against a Flask "hello" served the same way.

Each request is a new connection asking for gzip, as a browser's first visit.
"""

from __future__ import annotations

import gzip
import os
import signal
import time
import urllib.request

from flask import Flask

from bench.load import _serve, served_env
from bench.timing import Figure, summarise
from eventapp.extensions import db

WORKERS = 2
#: Requests after the first one: enough for both workers to have built the page.
WARM_REQUESTS = 6


def _get(port: int, path: str) -> tuple[float, int]:
    """Seconds until the whole answer is read, and its size once unzipped."""
    request = urllib.request.Request(  # noqa: S310  (a local server)
        f"http://127.0.0.1:{port}{path}", headers={"Accept-Encoding": "gzip"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        body = answer.read()
        elapsed = time.perf_counter() - start
        assert answer.status == 200, (path, answer.status)
        if answer.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    return elapsed, len(body)


def _change_programme(app: Flask, event_id: int) -> None:
    """What any edit of the programme does to the pages: a new version token."""
    from eventapp.models.version import touch

    with app.app_context():
        touch(db.session.connection(), [event_id])
        db.session.commit()
        db.session.remove()


def run(app: Flask, event_id: int, pages: dict[str, str], runs: int) -> list[Figure]:
    env = served_env(app)
    servers = {}
    try:
        for spec in ("bench.hello:app", "eventapp:create_app()"):
            servers[spec] = _serve(spec, WORKERS, env)
        _, hello_port = servers["bench.hello:app"]
        _, port = servers["eventapp:create_app()"]
        hello, _ = summarise([_get(hello_port, "/")[0] for _ in range(runs * 4)])
        figures = [Figure(f"hello, served ({WORKERS} workers)", hello, 0.0, "ms", note="baseline")]
        for name, path in pages.items():
            first, warm, size = [], [], 0
            for _ in range(runs):
                _change_programme(app, event_id)
                elapsed, size = _get(port, path)
                first.append(elapsed)
                after = [_get(port, path)[0] for _ in range(WARM_REQUESTS)]
                warm.extend(after[WARM_REQUESTS // 2 :])  # both workers have built it
            label = f"{name}, served ({WORKERS} workers, gunicorn.conf.py)"
            note = f"{size // 1024} KiB unzipped"
            for when, times in (("first after a change", first), ("once built", warm)):
                median, spread = summarise(times)
                figures.append(Figure(f"{label}, {when}", median, spread, "ms", hello, note))
        return figures
    finally:
        for server, _ in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

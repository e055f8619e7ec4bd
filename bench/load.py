"""Registration throughput under gunicorn (the repository's gunicorn.conf.py: gthread workers,
the app preloaded, mail delivered beside the workers by `eventapp mail send --watch`),
against two ceilings served the same way: a Flask hello, and the same flow with the work taken
out (bench/empty_flow.py: the same form page, a 303 for every POST), since the load
generator's own share of the two cores is larger for a two-request flow than for a hello.
The mail is part of the measure: the figure says how many mails were still queued when the
load stopped and how long they then took.

Each measurement: gunicorn with W workers on 127.0.0.1, locust headless in another process
for a fixed time; repeated, reported as median and spread. Durability is kept: SQLite in WAL
with its normal synchronous setting, PostgreSQL with fsync on.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from bench.locustfile import RADIO, TOKEN
from bench.timing import Figure, repeat, summarise
from eventapp.extensions import db
from eventapp.models import OutboxMessage, OutboxStatus

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SLUG = "bench-day"
USERS = int(os.environ.get("BENCH_USERS", "16"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "12"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
# (figure, locust mode, gunicorn app): the two ceilings, then eventapp.
SERVED = (
    ("hello", "hello", "bench.hello:app"),
    ("empty", "register", "bench.empty_flow:app"),
    ("register", "register", "eventapp:create_app()"),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_env(app: Flask) -> dict[str, str]:
    """The environment of a served eventapp on the bench's database and folders."""
    return {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "EVENTAPP_SECRET_KEY": "bench",
        "EVENTAPP_RATELIMIT_ENABLED": "false",  # the load comes from one address
        # gunicorn reads ./gunicorn.conf.py (the production settings) for every app alike;
        # only its access log is left out, as it would measure the terminal.
        "EVENTAPP_ACCESS_LOG": "",
        "EVENTAPP_EXPORTS_DIR": app.config["EXPORTS_DIR"],
        "EVENTAPP_OUTBOX_DIR": tempfile.mkdtemp(prefix="bench-outbox-"),
    }


def _serve(app_spec: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--backlog", "2048", "--log-level", "warning", app_spec],
        env=os.environ | env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # noqa: S310
            return server, port
        except OSError:
            time.sleep(0.1)
    os.killpg(server.pid, signal.SIGTERM)
    raise RuntimeError(f"gunicorn did not start for {app_spec}")


def _locust_stats(
    port: int, mode: str, folder: Path, extra: dict[str, str] | None = None
) -> dict[str, float]:
    """One locust run against the server on this port; the figures of its main request."""
    prefix = folder / f"locust-{mode}-{port}"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--host",
         f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary", "--loglevel",
         "ERROR"],
        env=os.environ | {"BENCH_MODE": mode, "BENCH_SLUG": SLUG} | (extra or {}), cwd=ROOT,
        check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=SECONDS + 60,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    name = {"hello": "hello", "get": "GET page"}.get(mode, "POST registration")
    row = rows[name]
    return {
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
        "failures": float(row["Failure Count"]),
    }


def _locust(port: int, mode: str, folder: Path) -> dict[str, float]:
    return _locust_stats(port, mode, folder)


def _mail_backlog(app: Flask) -> int:
    with app.app_context():
        queued = db.session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.QUEUED)
        )
        db.session.remove()
        return queued


def _drain(app: Flask, limit: float = 300.0) -> tuple[int, float]:
    """The mails still queued when the load stops, and how long the watcher then takes to
    deliver them (gunicorn.conf.py runs it beside the workers)."""
    backlog = _mail_backlog(app)
    started = time.perf_counter()
    while _mail_backlog(app) and time.perf_counter() - started < limit:
        time.sleep(0.2)
    return backlog, time.perf_counter() - started


def _prepare(app: Flask) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from factories import make_event  # the tests' open event: two rounds, three workshops

    with app.app_context():
        make_event(SLUG, workshop_capacity=None, title="Journée de mesure")
        db.session.remove()


def _form_data(page: str, email: str) -> dict[str, str]:
    """What a person sends back: the form's token, their details, a different theme a round."""
    rounds: dict[str, list[str]] = {}
    for name, value in RADIO.findall(page):
        rounds.setdefault(name, []).append(value)
    return {
        "csrf_token": TOKEN.search(page).group(1),
        "first_name": "Camille",
        "last_name": "Dupont",
        "email": email,
        "organisation": "CPAS",
        "job_title": "assistante sociale",
        "consent": "y",
        **{name: values[n % len(values)] for n, (name, values) in enumerate(rounds.items())},
    }


def _in_process(app: Flask, runs: int) -> list[Figure]:
    """Server time of each request of the flow, in process (Flask test client), with mail
    left to the watcher (as served) and built in the request (``eventapp run``)."""
    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    hello_client = hello.test_client()
    baseline, _ = summarise(repeat(lambda: hello_client.get("/"), runs=runs * 4))
    figures = [Figure("hello (Flask test client)", baseline, 0.0, "ms", note="baseline")]
    for delivery in ("worker", "request"):
        app.config["MAIL_DELIVERY"] = delivery
        form_times, post_times = [], []
        for _ in range(runs * 4):
            client = app.test_client()
            start = time.perf_counter()
            page = client.get(f"/events/{SLUG}/register")
            form_times.append(time.perf_counter() - start)
            data = _form_data(page.text, f"{uuid.uuid4().hex}@example.org")
            start = time.perf_counter()
            answer = client.post(f"/events/{SLUG}/register", data=data)
            post_times.append(time.perf_counter() - start)
            assert answer.status_code == 303, answer.status_code
        if delivery == "worker":
            median, spread = summarise(form_times)
            figures.append(Figure("registration form GET", median, spread, "ms", baseline))
        median, spread = summarise(post_times)
        where = "to the watcher" if delivery == "worker" else "in the request"
        figures.append(Figure(f"registration POST, mail {where}", median, spread, "ms", baseline))
    app.config["MAIL_DELIVERY"] = "request"
    return figures


def _spread(values: list[float]) -> float:
    return (max(values) - min(values)) / 2 if len(values) > 1 else 0.0


def run(app: Flask, runs: int) -> list[Figure]:
    _prepare(app)
    figures = _in_process(app, runs)
    env = served_env(app)
    with tempfile.TemporaryDirectory() as folder:
        form_page = Path(folder) / "form.html"
        form_page.write_text(app.test_client().get(f"/events/{SLUG}/register").text, "utf-8")
        env["BENCH_FORM_PAGE"] = str(form_page)
        for workers in (2, 4):
            measured: dict[str, list[dict[str, float]]] = {}
            for name, mode, spec in SERVED:
                measured[name] = []
                server, port = _serve(spec, workers, env)
                try:
                    for _ in range(REPEATS):
                        measured[name].append(_locust(port, mode, Path(folder)))
                        if name == "register":
                            backlog, drained = _drain(app)
                            measured[name][-1] |= {"backlog": backlog, "drained": drained}
                finally:
                    os.killpg(server.pid, signal.SIGTERM)
                    server.wait(timeout=30)
            hello_rps = statistics.median(m["rps"] for m in measured["hello"])
            hello_p50 = statistics.median(m["p50"] for m in measured["hello"])
            figures.append(
                Figure(
                    f"hello, {workers} workers",
                    hello_rps,
                    _spread([m["rps"] for m in measured["hello"]]),
                    "req/s",
                    note=f"ceiling; p50 {hello_p50:.0f} ms",
                )
            )
            empty_rps = statistics.median(m["rps"] for m in measured["empty"])
            figures.append(
                Figure(
                    f"the flow doing no work, {workers} workers",
                    empty_rps,
                    _spread([m["rps"] for m in measured["empty"]]),
                    "req/s",
                    hello_rps,
                    "ceiling for the flow: same form page, 303 on POST (bench/empty_flow.py)",
                )
            )
            rps = [m["rps"] for m in measured["register"]]
            backlog = statistics.median(m["backlog"] for m in measured["register"])
            drained = statistics.median(m["drained"] for m in measured["register"])
            figures.append(
                Figure(
                    f"registration POST (CSRF flow), {workers} workers",
                    statistics.median(rps),
                    _spread(rps),
                    "req/s",
                    hello_rps,
                    f"p50 {statistics.median(m['p50'] for m in measured['register']):.0f} ms, "
                    f"p99 {statistics.median(m['p99'] for m in measured['register']):.0f} ms, "
                    f"{sum(m['failures'] for m in measured['register']):.0f} failures; "
                    f"mail backlog {backlog:.0f} at the end, delivered {drained:.1f} s later; "
                    f"{statistics.median(rps) / empty_rps:.2f}× the flow doing no work",
                )
            )
    return figures

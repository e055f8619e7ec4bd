"""Serving the app for real: gunicorn with several worker processes on 127.0.0.1, and a
tiny HTTP client with its own cookie jar per simulated person."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask

from eventapp import create_app
from eventapp.extensions import db

ON_POSTGRES = os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql")


def shared_database(
    tmp_path: Path, backend: str = "sqlite", request: pytest.FixtureRequest | None = None
) -> tuple[Flask, str]:
    """The database the test shares with the servers it starts, and its URI: on PostgreSQL
    the session's application (its tables emptied after the test), else a new SQLite file
    with its own application (dispose of its engine when done: :func:`release`)."""
    if backend == "postgresql":
        assert request is not None, "the session's PostgreSQL app comes from the request"
        app = request.getfixturevalue("app")
        return app, app.config["SQLALCHEMY_DATABASE_URI"]
    uri = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"},
        instance_path=str(tmp_path / "instance-setup"),
    )
    with app.app_context():
        db.create_all()
    return app, uri


def release(app: Flask, backend: str) -> None:
    """Closes the connections of a database made by :func:`shared_database` for SQLite."""
    if backend == "sqlite":
        with app.app_context():
            db.engine.dispose()


def child_processes(parent: int) -> dict[int, str]:
    """The processes whose parent is ``parent`` (a gunicorn master's workers and mail
    watcher), with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found[int(entry.name)] = command
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One person: a cookie jar and plain HTTP/1.1 requests, redirects not followed."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})  # sent with every request (X-Forwarded-For…)

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Accept-Language": "fr", **self.headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, dict(response.getheaders()), data
        finally:
            connection.close()


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    for _attempt in range(600):
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}")
        try:
            status, _headers, _body = Browser(port).request("GET", "/")
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return
    raise AssertionError("gunicorn did not answer")


@contextmanager
def gunicorn(
    env: dict[str, str], cwd: Path, workers: int, config: Path | None = None
) -> Iterator[int]:
    """Serves ``eventapp:create_app()`` with ``workers`` processes; yields the port.

    Without ``config`` gunicorn's own defaults apply (``cwd`` has no gunicorn.conf.py)."""
    with serving(env, cwd, workers, config) as (port, _server):
        yield port


@contextmanager
def serving(
    env: dict[str, str], cwd: Path, workers: int, config: Path | None = None
) -> Iterator[tuple[int, subprocess.Popen]]:
    """As :func:`gunicorn`, yielding the port and the master process as well."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *(["--config", str(config)] if config else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "eventapp:create_app()",
        ],
        env=os.environ | env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        wait_until_serving(port, server)
        yield port, server
    finally:
        with suppress(ProcessLookupError):  # a test may have stopped it already
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port of 127.0.0.1 (nothing saved); yields its URL."""
    import redis

    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is missing: make test installs it (scripts/test-deps.sh)")
    port = free_port()
    server = subprocess.Popen(
        [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _attempt in range(300):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None:
                    raise AssertionError("redis-server exited") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)

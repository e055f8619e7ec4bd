"""Behind a reverse proxy, under gunicorn with the repository's gunicorn.conf.py: the access
log shows the client that EVENTAPP_TRUSTED_PROXIES designates, and the start-up log says
when each worker counts the rate limits on its own."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import pytest
from served import serving

from eventapp import create_app
from eventapp.extensions import db
from eventapp.security import rate_limit_notice

ROOT = Path(__file__).resolve().parents[2]


def _get(port: int, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/?via=proxy", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _log_line(log: Path, marker: str) -> str:
    for _attempt in range(100):
        lines = [line for line in log.read_text().splitlines() if marker in line]
        if lines:
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError(f"no access log line with {marker}: {log.read_text()!r}")


@pytest.mark.parametrize("proxies", [1, 0])
def test_the_access_log_shows_the_trusted_client(tmp_path: Path, proxies: int) -> None:
    uri = f"sqlite:///{tmp_path / 'proxies.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"}, str(tmp_path / "i"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
        "EVENTAPP_SECRET_KEY": "proxies-test-secret",
        "EVENTAPP_TRUSTED_PROXIES": str(proxies),
        "EVENTAPP_MAIL_WORKER": "0",
        "EVENTAPP_ACCESS_LOG": str(access),
        "GUNICORN_CMD_ARGS": f"--error-logfile {errors}",
    }
    with serving(env, tmp_path, 2, ROOT / "gunicorn.conf.py") as (port, _server):
        # What nginx sends: the client's address appended to whatever the client wrote.
        assert _get(port, {"X-Forwarded-For": "192.0.2.66, 198.51.100.60"}) == 200
        line = _log_line(access, "/?via=proxy")
    client = line.split()[0]
    assert client == ("198.51.100.60" if proxies else "127.0.0.1"), line
    assert "192.0.2.66" not in line
    startup = errors.read_text()
    assert "rate limits are counted in memory by each of the 2 worker(s)" in startup
    assert "EVENTAPP_RATELIMIT_STORAGE_URI=redis://" in startup


def test_a_shared_storage_is_not_reported_as_per_worker() -> None:
    assert rate_limit_notice("redis://127.0.0.1:6379/0", 4) is None
    assert "each of the 4 worker(s)" in rate_limit_notice("memory://", 4)
    assert "each of the 3 worker(s)" in rate_limit_notice(None, 3)

"""Production serving: versioned static URLs cached for a year, gzip where it pays,
and a gunicorn configuration that gunicorn accepts."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client, demo) -> None:
    page = client.get("/events/journee-reseau-2015/").text
    url = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page).group(1)
    asset = client.get(url)
    assert asset.status_code == 200
    assert "max-age=31536000" in asset.headers["Cache-Control"]
    assert "immutable" in asset.headers["Cache-Control"]
    stale = client.get("/static/css/site.css?v=000000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_pages_are_gzipped_for_clients_that_accept_it(client, demo) -> None:
    answer = client.get("/events/journee-reseau-2015/", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "Lara De Jacquier" in gzip.decompress(answer.data).decode()
    plain = client.get("/events/journee-reseau-2015/")
    assert "Content-Encoding" not in plain.headers


def test_gunicorn_accepts_the_configuration() -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    done = subprocess.run(
        [str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "--check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"EVENTAPP_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr

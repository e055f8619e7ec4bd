"""Hostile Markdown in a summary: rendered harmless, and nothing outside the package fetched.

A local HTTP server counts every request it gets; the renderer's URL fetcher records every
URL it was asked for.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

from eventapp.extensions import db
from eventapp.models import ProgrammeItem
from eventapp.proceedings import proceedings_html
from eventapp.proceedings.render import AssetFetcher, RefusedURL, render_pdf
from eventapp.programme import event_by_slug


class Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802  (the http.server name)
        Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Counter.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def hostile_markdown(base: str) -> str:
    return f"""Avant le piège.

<script>document.title = "pwned-by-script"</script>

<img src="file:///etc/passwd" alt="passwd">

![traceur]({base}/tracker.png)

<img src="{base}/img.png"> <link rel="stylesheet" href="{base}/evil.css">

<style>@import url({base}/import.css); body {{ background: url(file:///etc/passwd) }}</style>

<iframe src="{base}/frame.html"></iframe> <object data="{base}/object.svg"></object>

- [un lien]({base}/page.html) et [un autre](javascript:alert(1))
- <svg><image href="{base}/svg.png"/></svg> Après le piège.
"""


def pdf_text(data: bytes, tmp_path: Path) -> str:
    (tmp_path / "x.pdf").write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "x.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_hostile_summary_renders_safely_with_nothing_fetched(
    app: Flask, demo: str, server: str, tmp_path: Path
) -> None:
    with app.app_context():
        item = db.session.query(ProgrammeItem).filter_by(title="Introduction").one()
        item.summary_md = hostile_markdown(server)
        db.session.commit()
        html = proceedings_html(event_by_slug(demo))
    fetcher = AssetFetcher()
    data = render_pdf(html, fetcher=fetcher)

    assert "<script" not in html and "<img" not in html and "<style" not in html.split("</head>")[1]
    assert "file:" not in html and "<iframe" not in html and 'href="javascript' not in html
    assert Counter.hits == []
    assert fetcher.refused == []
    assert all(url.startswith("eventapp-asset:") for url in fetcher.requested)
    text = pdf_text(data, tmp_path)
    assert "Avant le piège." in text and "Après le piège." in text
    assert "pwned" not in text and "root:" not in text
    # The remaining http link is a link to click, shown in print; never fetched.
    assert f"{server}/page.html" in text


def test_the_fetcher_is_a_second_wall_behind_the_sanitiser(server: str, tmp_path: Path) -> None:
    raw = f"""<!doctype html><html lang="fr"><head><title>t</title>
    <link rel="stylesheet" href="eventapp-asset:proceedings.css">
    <link rel="stylesheet" href="{server}/evil.css">
    <style>@import url("{server}/import.css"); p {{ background: url(file:///etc/passwd) }}</style>
    </head><body><p>Texte.</p>
    <img src="file:///etc/passwd"> <img src="{server}/a.png"> <img src="https://example.invalid/b.png">
    <img src="eventapp-asset:../../../etc/passwd"> <img src="eventapp-asset:fonts/../cache.py">
    <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
    <img src="ftp://127.0.0.1/c.png"> <img src="relative.png">
    </body></html>"""
    fetcher = AssetFetcher()
    data = render_pdf(raw, fetcher=fetcher)
    assert data.startswith(b"%PDF-")
    assert Counter.hits == []
    refused = " ".join(fetcher.refused)
    for url in ("file:///etc/passwd", f"{server}/evil.css", f"{server}/a.png", "data:image"):
        assert url in refused
    assert "eventapp-asset:../../../etc/passwd" in refused
    assert "eventapp-asset:fonts/../cache.py" in refused
    assert "eventapp-asset:proceedings.css" not in refused
    assert "Texte." in pdf_text(data, tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x.png",
        "https://example.org/x.css",
        "data:text/css,p{}",
        "eventapp-asset:../render.py",
        "eventapp-asset:/etc/passwd",
        "EVENTAPP-ASSET:proceedings.css",
    ],
)
def test_fetcher_refuses_anything_but_its_own_assets(url: str) -> None:
    with pytest.raises(RefusedURL):
        AssetFetcher().fetch(url)


def test_fetcher_serves_the_bundled_font_and_css() -> None:
    font = AssetFetcher().fetch("eventapp-asset:fonts/NotoSans-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    css = AssetFetcher().fetch("eventapp-asset:proceedings.css")
    assert b"@font-face" in css.read()

"""Getting the compte-rendu: the download URL (cache, ETag, 404), the event page's button,
the `eventapp proceedings` command."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from flask import Flask
from helpers import visible_text
from pypdf import PdfReader

from eventapp.extensions import db
from eventapp.models import EventStatus, ProgrammeItem
from eventapp.proceedings.cache import cached_pdf
from eventapp.programme import event_by_slug

PDF_URL = "/events/journee-reseau-2015/proceedings.pdf"


@pytest.fixture
def exports(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty exports folder: the next PDF is built cold."""
    folder = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(folder))
    return folder


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _update(app: Flask, slug: str, **changes) -> None:
    with app.app_context():
        event = event_by_slug(slug)
        for name, value in changes.items():
            setattr(event, name, value)
        db.session.commit()


def test_download_is_served_from_the_cache_with_an_etag(client, demo, exports: Path) -> None:
    first = client.get(PDF_URL)
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and first.data.rstrip().endswith(b"%%EOF")
    assert "compte-rendu-journee-reseau-2015.pdf" in first.headers["Content-Disposition"]
    etag = first.headers["ETag"]
    assert etag
    files = list(exports.iterdir())
    assert len(files) == 1 and files[0].name.endswith(".pdf"), files
    assert files[0].read_bytes() == first.data
    built_at = files[0].stat().st_mtime_ns

    again = client.get(PDF_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""

    plain = client.get(PDF_URL)
    assert plain.status_code == 200 and plain.headers["ETag"] == etag
    assert plain.data == first.data
    assert [f.stat().st_mtime_ns for f in exports.iterdir()] == [built_at], "rebuilt for nothing"


def test_a_changed_summary_makes_a_new_pdf_and_etag(
    app: Flask, client, demo, exports: Path, tmp_path: Path
) -> None:
    before = client.get(PDF_URL)
    with app.app_context():
        item = db.session.query(ProgrammeItem).filter_by(title="Introduction").one()
        item.summary_md = "- Une phrase *ajoutée* après la journée."
        db.session.commit()
    after = client.get(PDF_URL, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    text = pdf_text(after.data, tmp_path)
    assert "Une phrase ajoutée après la journée." in text
    assert "Les deux interventions ont souligné" not in text


def test_speaker_credit_change_is_seen(app: Flask, client, demo, exports: Path) -> None:
    before = client.get(PDF_URL).headers["ETag"]
    with app.app_context():
        item = db.session.query(ProgrammeItem).filter_by(title="Introduction").one()
        # A speaker named by their byline (Julien Van Geertsom's line is written out whole).
        [link] = [link for link in item.speaker_links if link.speaker.name == "Elke Sleurs"]
        link.speaker.role = "ancienne secrétaire d'État"
        db.session.commit()
    assert client.get(PDF_URL).headers["ETag"] != before


def test_404_until_the_proceedings_are_published(app: Flask, client, demo, exports) -> None:
    assert client.get("/events/no-such-event/proceedings.pdf").status_code == 404
    _update(app, demo, proceedings_published=False)
    assert client.get(PDF_URL).status_code == 404
    assert not exports.exists() or not list(exports.iterdir())
    _update(app, demo, proceedings_published=True, status=EventStatus.DRAFT)
    assert client.get(PDF_URL).status_code == 404


def test_event_page_offers_the_download_once_published(app: Flask, client, demo) -> None:
    page = client.get("/events/journee-reseau-2015/")
    assert f'href="{PDF_URL}?lang=fr"' in page.text
    assert f'href="{PDF_URL}?lang=nl"' in page.text  # the demo is written in Dutch too
    assert "Télécharger le compte-rendu (PDF)" in visible_text(page.text)
    _update(app, demo, proceedings_published=False)
    page = client.get("/events/journee-reseau-2015/")
    assert PDF_URL not in page.text
    assert "Télécharger le compte-rendu" not in visible_text(page.text)


def test_two_first_requests_at_once_both_get_the_whole_pdf(app: Flask, demo, exports: Path) -> None:
    results: list[bytes] = []
    start = threading.Barrier(2)

    def fetch() -> None:
        client = app.test_client()
        start.wait()
        response = client.get(PDF_URL)
        results.append(response.data if response.status_code == 200 else b"")

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    assert results[0] == results[1]
    assert results[0].startswith(b"%PDF-") and results[0].rstrip().endswith(b"%%EOF")
    assert [p.suffix for p in exports.iterdir()] == [".pdf"], "a temporary file was left"


def test_readers_never_see_a_half_written_file(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n" + b"x" * 5_000_000 + b"\n%%EOF\n"
    key = "ab" * 32
    target = tmp_path / f"p-{key[:32]}.pdf"
    start = threading.Barrier(3)
    done = threading.Event()
    seen: list[int] = []

    def build() -> bytes:
        start.wait()
        return data

    def writer() -> None:
        cached_pdf(tmp_path, "p", key, build)

    def reader() -> None:
        start.wait()
        while not done.is_set():
            if target.exists():
                seen.append(len(target.read_bytes()))

    threads = [threading.Thread(target=writer), threading.Thread(target=writer)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    assert set(seen) <= {len(data)}
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_cli_writes_the_tagged_pdf(app: Flask, demo, exports, tmp_path: Path) -> None:
    out = tmp_path / "compte-rendu.pdf"
    result = app.test_cli_runner().invoke(args=["proceedings", demo, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True)
    assert "Tagged:          yes" in info.stdout
    assert "Les réseaux d'un point de vue universitaire" in pdf_text(out.read_bytes(), tmp_path)


def test_cli_archival_option_writes_pdf_a(app: Flask, demo, exports, tmp_path: Path) -> None:
    out = tmp_path / "archive.pdf"
    result = app.test_cli_runner().invoke(args=["proceedings", demo, "--archival", "-o", str(out)])
    assert result.exit_code == 0, result.output
    xmp = PdfReader(out).trailer["/Root"]["/Metadata"].get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp


@pytest.mark.parametrize(
    ("slug", "target", "message"),
    [
        (
            "no-such-event",
            "{tmp}/x.pdf",
            "Erreur : aucun événement n'a l'adresse (slug) « no-such-event »",
        ),
        (
            "journee-reseau-2015",
            "{tmp}/missing/x.pdf",
            "Erreur : impossible d'écrire {tmp}/missing/x.pdf",
        ),
        ("journee-reseau-2015", "{tmp}", "Erreur : impossible d'écrire {tmp}"),
    ],
)
def test_cli_bad_input_is_one_line(
    app: Flask, demo, exports, tmp_path: Path, slug: str, target: str, message: str
) -> None:
    output = target.format(tmp=tmp_path)
    result = app.test_cli_runner().invoke(args=["proceedings", slug, "-o", output])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path)), result.stderr
    assert "Traceback" not in result.output


def test_same_content_gives_the_same_pdf_after_the_cache_is_lost(
    client, demo, exports: Path
) -> None:
    first = client.get(PDF_URL)
    for path in exports.iterdir():
        path.unlink()
    second = client.get(PDF_URL)
    assert list(exports.iterdir()), "rebuilt into the cache"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.data == first.data

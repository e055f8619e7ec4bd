"""Attendance certificates: the participant's own PDF once checked in, the organisers' bulk
PDF (one page per person), labels and dates in the event's language."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import visible_text
from pypdf import PdfReader
from test_admin_support import accounts_fixture, at, build_event, login  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.registration.rules import Applicant
from eventapp.registration.service import register


@pytest.fixture
def event_id(app, accounts) -> int:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        event.organising_body = "SPP Intégration sociale"
        event.venue_name = "Maison des associations"
        event.venue_address = "Rue Haute 12, 5000 Namur"
        db.session.commit()
        db.session.remove()
    return event_id


def _register(app, event_id: int, first: str, last: str, *, checked_in: bool) -> str:
    """Registers someone to "Atelier deux" (checked in or not); returns their token."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        workshop = next(item for item in event.items if item.title == "Atelier deux")
        email = f"{first.lower()}@example.org"
        applicant = Applicant(first, last, email, organisation=f"ASBL {last}")
        registration = register(event, applicant, [workshop]).registration
        if checked_in:
            registration.checked_in_at = at("2030-05-10", "08:50")
        db.session.commit()
        token = registration.token
        db.session.remove()
    return token


def pdf_text(data: bytes, tmp_path: Path, name: str = "certificate.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _folded(text: str) -> str:
    return " ".join(text.split())


def test_a_checked_in_participant_downloads_their_certificate(
    app, client, event_id, tmp_path
) -> None:
    token = _register(app, event_id, "Ana", "López", checked_in=True)
    page = client.get(f"/r/{token}/")
    assert "Mon attestation de présence (PDF)" in visible_text(page.text)
    assert f'href="/r/{token}/certificate.pdf"' in page.text

    response = client.get(f"/r/{token}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = _folded(pdf_text(response.data, tmp_path))
    expected = [
        "SPP Intégration sociale",
        "Attestation de présence",
        "Nous attestons que",
        "Ana López",
        "ASBL López",
        "a participé à",
        "Journée 2030",
        "Date 10 mai 2030",
        "Lieu Maison des associations, Rue Haute 12, 5000 Namur",
        "Ateliers suivis",
        "14:00–15:30 : Atelier deux (Salle A)",
        "Fait le 10 mai 2030.",
        "Pour les organisateurs : SPP Intégration sociale",
    ]
    positions = [text.index(line) for line in expected]
    assert positions == sorted(positions), text
    assert "Atelier un" not in text, "only the workshops the person chose"
    reader = PdfReader(pdf_path := tmp_path / "certificate.pdf")
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Attestation de présence : Ana López — Journée 2030"
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True).stdout
    assert "Tagged:          yes" in info


def test_no_certificate_before_check_in(app, client, event_id) -> None:
    token = _register(app, event_id, "Ben", "Dupont", checked_in=False)
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200
    assert "attestation" not in visible_text(page.text).lower()
    assert client.get(f"/r/{token}/certificate.pdf").status_code == 404
    assert client.get("/r/" + "x" * 32 + "/certificate.pdf").status_code == 404


def test_labels_and_date_follow_the_event_language(app, client, event_id, tmp_path) -> None:
    with app.app_context():
        db.session.get(Event, event_id).language = "nl"
        db.session.commit()
    token = _register(app, event_id, "Ana", "López", checked_in=True)
    text = _folded(pdf_text(client.get(f"/r/{token}/certificate.pdf").data, tmp_path))
    assert "10 mei 2030" in text and "mai" not in text
    # Dutch puts no space before a colon.
    assert "14:00–15:30: Atelier deux (Salle A)" in text


def test_organisers_download_every_certificate_in_one_pdf(app, client, event_id, tmp_path) -> None:
    url = f"/admin/events/{event_id}/certificates.pdf"
    _register(app, event_id, "Zoé", "Wauters", checked_in=True)
    _register(app, event_id, "Ben", "Dupont", checked_in=False)
    _register(app, event_id, "Ana", "López", checked_in=True)

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    login(client, "bob@example.org")
    assert client.get(url).status_code == 404, "Bob does not manage this event"

    alice = app.test_client()
    login(alice, "alice@example.org")
    page = alice.get(f"/admin/events/{event_id}/proceedings/edit")
    assert "Attestations de présence (PDF, une page par personne) : 2" in visible_text(page.text)
    response = alice.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attestations-journee-2030.pdf" in response.headers["Content-Disposition"]
    pdf_text(response.data, tmp_path, "all.pdf")
    reader = PdfReader(tmp_path / "all.pdf")
    pages = [_folded(page.extract_text()) for page in reader.pages]
    assert len(pages) == 2, "one page per person checked in"
    assert "Ana López" in pages[0] and "Zoé Wauters" in pages[1], "by last name"
    assert all("Attestation de présence" in page for page in pages)
    assert not any("Dupont" in page for page in pages), "Ben was not there"


def test_bulk_download_with_nobody_checked_in_says_so(app, client, event_id) -> None:
    _register(app, event_id, "Ben", "Dupont", checked_in=False)
    login(client, "alice@example.org")
    response = client.get(f"/admin/events/{event_id}/certificates.pdf")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Personne n'est encore pointé présent" in visible_text(response.text)
    with app.app_context():
        assert db.session.query(Registration).count() == 1

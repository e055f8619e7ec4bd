"""A Dutch-speaking OCMW worker walks the whole path in Dutch (browser locale nl-BE): the
upcoming demo day's page and form, registration, the confirmation mail, the personal calendar
(read by Mozilla's ical.js), and the 2015 day's compte-rendu (pdftotext, /Lang)."""

from __future__ import annotations

import re
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from calendars import icaljs
from markdown_it import MarkdownIt
from pypdf import PdfReader
from regutil import reset_rate_limits

from eventapp.demo import load_demo, load_upcoming_demo
from eventapp.demo.nl import data as nl

pytestmark = pytest.mark.browser

DUTCH_DOCUMENT = (
    Path(__file__).resolve().parents[2]
    / "eventapp/demo/compte-rendu-journee-reseau-2015-12-01.nl.md"
)


@pytest.fixture
def demo_days(app) -> str:
    reset_rate_limits()
    with app.app_context():
        load_demo()
        event, _ = load_upcoming_demo()
        return event.slug


def _headings(markdown: str) -> list[str]:
    tokens = MarkdownIt().parse(markdown)
    return [
        tokens[n + 1].content
        for n, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag in {"h2", "h3"}
    ]


def test_the_whole_path_in_dutch(app, browser, live_server, demo_days, screenshots, tmp_path):
    outbox = Path(app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    context = browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(f"{live_server}/events/{demo_days}/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "Kinderen eerst" in page.locator("h1").inner_text()
    programme = page.locator(".programme").inner_text()
    for title, _description in nl.THEMES.values():
        assert title in programme
    page.screenshot(path=str(screenshots / "event-nl.png"), full_page=False)

    page.get_by_role("link", name="Inschrijven").first.click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("Voornaam", exact=True).fill("Els")
    page.get_by_label("Achternaam", exact=True).fill("Peeters")
    page.get_by_label("E-mailadres", exact=True).fill("els.peeters@example.org")
    page.get_by_label("Organisatie", exact=True).fill("OCMW Gent")
    rounds = page.locator("fieldset.round")
    rounds.nth(0).get_by_label(nl.THEMES[1][0]).check()
    rounds.nth(1).get_by_label(nl.THEMES[2][0]).check()
    page.locator('input[name="consent"]').check()
    page.get_by_role("button", name="Inschrijven").click()
    page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "confirmed"
    assert "Uw inschrijving is bevestigd." in status.inner_text()
    assert nl.THEMES[1][0] in page.locator(".my-workshops").inner_text()
    token = page.url.rstrip("/").rsplit("/", 1)[1]

    # The confirmation mail, in Dutch, parsed as a mail client would.
    (written,) = set(outbox.glob("*.eml")) - before
    mail = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert mail["Content-Language"] == "nl"
    assert mail["Subject"] == f"Inschrijving bevestigd: {nl.EVENT['title']}"
    body = mail.get_body(("plain",)).get_content()
    assert "Uw inschrijving" in body and nl.THEMES[2][0] in body
    assert "Koning Albert II-laan 30, 1000 Brussel" in body

    # The personal calendar, in Dutch, read by ical.js.
    feed = context.request.get(f"{live_server}/r/{token}/calendar.ics")
    assert feed.ok
    summaries = [event["summary"] for event in icaljs(feed.body())["events"]]
    assert nl.THEMES[1][0] in summaries and "Onthaal en koffie" in summaries
    assert b"SUMMARY;LANGUAGE=nl:" in feed.body()

    # The 2015 day's compte-rendu in Dutch, from the link of its Dutch page: its headings
    # in the document's order.
    page.goto(f"{live_server}/events/journee-reseau-2015/")
    link = page.get_by_role("link", name="Het verslag downloaden (PDF)")
    answer = context.request.get(live_server + link.get_attribute("href"))
    assert answer.ok and answer.headers["content-language"] == "nl"
    pdf = tmp_path / "verslag.pdf"
    pdf.write_bytes(answer.body())
    assert PdfReader(pdf).trailer["/Root"]["/Lang"] == "nl"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "Spreker(s):" in flat and "Intervenant" not in flat
    position = 0
    for heading in _headings(DUTCH_DOCUMENT.read_text("utf-8")):
        words = re.sub(r"\s+", " ", heading).strip()
        found = flat.find(words, position)
        assert found >= 0, f"missing or out of order: {words!r}"
        position = found + len(words)
    context.close()

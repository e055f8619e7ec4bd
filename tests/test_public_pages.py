"""The public pages as a visitor reads them."""

from __future__ import annotations

import re

import pytest
from helpers import csrf_token, visible_text

from eventapp.demo.data import SPEAKERS, THEMES

EVENT_URL = "/events/journee-reseau-2015/"


def test_events_list_shows_the_demo_as_past(client, demo) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Journée réseau « Les enfants d'abord »" in text
    past = page.text.split('id="past-heading"')[1]
    assert EVENT_URL in past


def test_event_page_shows_date_venue_and_introduction(client, demo) -> None:
    page = client.get(EVENT_URL)
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "mardi 1 décembre 2015" in text
    assert "Boulevard du Roi Albert II 30, 1000 Bruxelles" in text
    assert "Après la clôture de l'étude-pilote" in text
    assert "1 er décembre 2015" in text  # the intro's <sup>er</sup> survives sanitising


def test_event_page_shows_both_rounds_with_four_themes(client, demo) -> None:
    html = client.get(EVENT_URL).text
    block = r'<li class="block block-parallel" data-parallel="(\d+)">(.*?)</li>\s*'
    rounds = re.findall(block + r'(?=<li class="block|</ol>)', html, re.S)
    assert [count for count, _ in rounds] == ["4", "4"]
    for _, block in rounds:
        text = visible_text(block)
        for number, title, _ in THEMES:
            assert f"Thème {number}" in text
            assert title in text


def test_event_page_names_every_speaker_with_role_and_organisation(client, demo) -> None:
    text = visible_text(client.get(EVENT_URL).text)
    for name, (role, organisation) in SPEAKERS.items():
        byline = ", ".join(part for part in (name, role, organisation) if part)
        assert byline in text, byline


def test_speakers_page(client, demo) -> None:
    page = client.get(EVENT_URL + "speakers")
    assert page.status_code == 200
    text = visible_text(page.text)
    for name in SPEAKERS:
        assert name in text


def test_unknown_event_gets_a_styled_404(client, demo) -> None:
    page = client.get("/events/no-such-day/")
    assert page.status_code == 404
    assert "Page introuvable" in page.text
    assert "site.css" in page.text


def test_page_is_accessible_html(client, demo) -> None:
    html = client.get(EVENT_URL).text
    assert '<html lang="fr">' in html
    assert "<main" in html and "<header" in html and "<nav" in html and "<footer" in html
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert '<label for="lang">' in html
    assert "http://" not in re.sub(r'href="http[^"]*"', "", html.split("<main")[0])  # no CDN


def test_language_switch_is_remembered(client, demo) -> None:
    page = client.get(EVENT_URL)
    answer = client.post(
        "/language",
        data={"lang": "nl", "next": EVENT_URL, "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(EVENT_URL)
    again = client.get(EVENT_URL)
    assert '<html lang="nl">' in again.text
    assert "dinsdag 1 december 2015" in visible_text(again.text)


def test_language_switch_refuses_foreign_redirects_and_missing_csrf(client, demo) -> None:
    token = csrf_token(client.get("/").text)
    answer = client.post(
        "/language", data={"lang": "en", "next": "//evil.example/", "csrf_token": token}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 400


@pytest.mark.parametrize(
    "target", ["/\t/evil.example/", "/\r\nSet-Cookie: x=1", "https://evil.example/", "/\\evil"]
)
def test_language_switch_never_leaves_the_site(client, demo, target) -> None:
    """Browsers drop a tab inside a URL: "/<tab>/evil.example" would lead off the site."""
    token = csrf_token(client.get("/").text)
    answer = client.post("/language", data={"lang": "en", "next": target, "csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"


def test_the_switch_comes_back_to_the_page_encoded(client, demo) -> None:
    """The page's own address goes into the switch percent-encoded, so that a crafted link
    cannot put a tab or a line break in it."""
    page = client.get("/%09/evil.example/")
    assert page.status_code == 404
    assert 'name="next" type="hidden" value="/%09/evil.example/"' in page.text
    answer = client.post(
        "/language",
        data={"lang": "en", "next": "/%09/evil.example/", "csrf_token": csrf_token(page.text)},
    )
    assert answer.headers["Location"] == "/%09/evil.example/"


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("post", EVENT_URL, 405),
        ("delete", "/nowhere", 404),
        ("post", "/admin/login", 400),
        # The switch checks its own token (no session needed): refused as the other forms
        # that do, before any form reads the body.
        ("post", "/language", 415),
        ("post", "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/cancel", 415),
    ],
)
def test_a_json_body_on_a_page_gets_an_error_page(client, demo, method, url, status) -> None:
    """A malformed JSON body used to break the error page itself (a bare 500)."""
    answer = getattr(client, method)(url, data="{not json", content_type="application/json")
    assert answer.status_code == status
    assert f"Erreur {status}" in visible_text(answer.text)


def test_browser_language_is_followed(client, demo) -> None:
    page = client.get(EVENT_URL, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    assert "Tuesday, December 1, 2015" in visible_text(page.text)

"""Ranking the themes with the keyboard only, in a real browser (preferences mode)."""

from __future__ import annotations

import re

import pytest
from factories import make_event
from regutil import reset_rate_limits

from eventapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def ranked_event(app) -> str:
    reset_rate_limits()
    with app.app_context():
        event = make_event(slug="journee-souhaits", title="Journée des souhaits")
        event.allocation_mode = "preferences"
        db.session.commit()
        return event.slug


def test_ranking_the_themes_with_the_keyboard_only(browser, live_server, ranked_event) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    page.goto(f"{live_server}/events/{ranked_event}/register")

    def focused() -> str:
        return page.evaluate("document.activeElement.name || document.activeElement.id")

    page.keyboard.press("Tab")
    while focused() != "first_name":  # through the header's links, by Tab alone
        page.keyboard.press("Tab")
    for text in ("Zoé", "Van den Berg", "zoe@example.org", "CPAS de Liège", ""):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    # rank_1 … rank_3: the arrow keys pick an option in a focused select.
    for name, downs in (("rank_1", 2), ("rank_2", 3), ("rank_3", 1)):
        assert focused() == name
        for _ in range(downs):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
    assert focused() == "consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
    assert page.locator("[data-status]").get_attribute("data-status") == "pending"
    ranked = page.locator(".my-preferences li").all_inner_texts()
    assert ranked == ["Thème numéro 2", "Thème numéro 3", "Thème numéro 1"]

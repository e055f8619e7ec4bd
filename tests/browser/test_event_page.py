"""The event page in a real browser: parallel workshops side by side on a desktop,
stacked on a phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

EVENT_PATH = "/events/journee-reseau-2015/"


def _round_boxes(page) -> list[list[dict]]:
    rounds = page.locator(".block-parallel")
    assert rounds.count() == 2
    return [
        [item.bounding_box() for item in rounds.nth(index).locator(".item").all()]
        for index in range(rounds.count())
    ]


def test_desktop_shows_the_four_workshops_of_a_round_side_by_side(
    browser, live_server, demo, screenshots
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    page.goto(live_server + EVENT_PATH)
    assert page.locator("h1").inner_text() == "Journée réseau « Les enfants d'abord »"
    for boxes in _round_boxes(page):
        assert len(boxes) == 4
        tops = {round(box["y"]) for box in boxes}
        assert len(tops) == 1, "the four workshops of a round start on one line"
        lefts = [box["x"] for box in boxes]
        assert lefts == sorted(lefts) and len(set(lefts)) == 4
    assert page.get_by_text("Thème 3", exact=True).count() == 2
    page.screenshot(path=str(screenshots / "event-desktop.png"), full_page=True)
    page.close()


def test_phone_stacks_the_workshops(browser, live_server, demo, screenshots) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-BE")
    page.goto(live_server + EVENT_PATH)
    for boxes in _round_boxes(page):
        tops = [box["y"] for box in boxes]
        assert tops == sorted(tops) and len(set(tops)) == 4, "one workshop under the other"
        assert all(box["width"] > 300 for box in boxes)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows sideways on a phone"
    page.screenshot(path=str(screenshots / "event-phone.png"), full_page=True)
    page.close()


def test_language_switch_in_the_browser(browser, live_server, demo) -> None:
    page = browser.new_page(locale="fr-BE")
    page.goto(live_server + EVENT_PATH)
    page.get_by_label("Langue").select_option("nl")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_url(live_server + EVENT_PATH)
    assert page.locator("html").get_attribute("lang") == "nl"
    page.reload()
    assert page.locator("html").get_attribute("lang") == "nl"
    page.close()

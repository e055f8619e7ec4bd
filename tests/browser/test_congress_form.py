"""The registration form of a congress (many rounds over two days) in a real browser: no
serious accessibility violation in French and Dutch, on a desktop and a phone, and a round
chosen with the keyboard alone."""

from __future__ import annotations

import pytest
from regutil import reset_rate_limits
from test_accessibility import AXE, serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def congress(app) -> str:
    from bench.make_large_event import make_large_event

    reset_rate_limits()
    with app.app_context():
        return make_large_event(
            "congres-navigateur", days=2, rooms=6, items=120, speakers=40, registrations=30
        ).slug


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE"])
def test_congress_form_has_no_serious_violation(browser, live_server, congress, width, locale):
    assert AXE.exists(), "make test installs axe-core (scripts/test-deps.sh)"
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=locale)
    page.goto(f"{live_server}/events/{congress}/register")
    assert page.locator('input[type="radio"]').count() == 120
    serious = serious_violations(page)
    page.close()
    assert not serious, serious


def test_a_round_is_chosen_with_the_keyboard_and_each_choice_is_named(
    browser, live_server, congress
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 900}, locale="fr-BE")
    page.goto(f"{live_server}/events/{congress}/register")
    round_two = page.locator('fieldset[id="workshop_2"]')
    radios = round_two.locator('input[type="radio"]')
    # Each radio is named by its label: title, theme and room, seats.
    first_title = round_two.locator(".workshop-title").first.inner_text()
    second_title = round_two.locator(".workshop-title").nth(1).inner_text()
    assert page.get_by_role("radio", name=second_title).count() == 1
    radios.first.focus()
    page.keyboard.press("ArrowDown")  # a radio group moves and checks with the arrows
    assert radios.nth(1).is_checked() and not radios.first.is_checked()
    checked = page.evaluate("document.activeElement.closest('label').innerText")
    assert second_title in checked and first_title not in checked
    # The round's name says which day: the second day's rounds name it too.
    legends = page.locator("legend").all_inner_texts()
    assert any("jeudi 25 mars 2027" in legend for legend in legends)
    page.close()

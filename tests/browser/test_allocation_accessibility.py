"""The organiser's allocation page with everything on it (the dry run, people per choice,
the full re-run and its confirmation) has no serious axe violation, in French and Dutch, on a
desktop and on a phone; the full re-run's button does nothing until its box is ticked."""

from __future__ import annotations

import pytest
from factories import make_event
from test_accessibility import serious_violations
from test_admin_support import PASSWORD

from eventapp.extensions import db, limiter

pytestmark = pytest.mark.browser


@pytest.fixture
def allocated(app) -> int:
    from test_allocation_run import _pending

    from eventapp.admin.accounts import create_organiser

    with app.app_context():
        event = make_event(workshop_capacity=1)
        event.allocation_mode = "preferences"
        organiser = create_organiser("allocation-a11y@example.org", PASSWORD)
        event.managers.append(organiser)
        db.session.commit()
        event_id = event.id
    _pending(app, [["1", "2", "3"], ["2", "3", "1"]])
    assert (
        app.test_cli_runner().invoke(args=["allocation", "run", "journee-ouverte"]).exit_code == 0
    )
    _pending(app, [["3", "1", "2"]], start=2)
    return event_id


def _login(browser, live_server, width: int, locale: str):
    limiter.reset()  # five sign-ins a minute per account: this file alone signs in five times
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.goto(f"{live_server}/admin/login")
    page.locator('input[name="email"]').fill("allocation-a11y@example.org")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    page.wait_for_url(lambda url: "/admin/login" not in url)
    return context, page


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE"])
def test_the_allocation_page_has_no_serious_violation(
    browser, live_server, allocated, width, locale
) -> None:
    context, page = _login(browser, live_server, width, locale)
    found = {}
    for query in ("", "?full=1"):
        page.goto(f"{live_server}/admin/events/{allocated}/allocation{query}")
        assert page.locator("html").get_attribute("lang") == locale[:2]
        assert page.locator("[data-moved]").count() == (1 if query else 0)
        assert page.locator("[data-people-first]").count() >= 2
        if serious := serious_violations(page):
            found[query] = serious
    context.close()
    assert not found, found


def test_the_full_rerun_asks_for_the_box_in_a_real_browser(browser, live_server, allocated):
    context, page = _login(browser, live_server, 1280, "fr-BE")
    page.goto(f"{live_server}/admin/events/{allocated}/allocation")
    page.get_by_role("link", name="Simuler la réattribution complète").click()
    button = page.get_by_role("button", name="Relancer toute l'attribution")
    button.click()  # the required box stops the form in the browser
    assert page.locator("[data-moved]").count() == 1
    assert page.locator('input[name="confirm"]:invalid').count() == 1
    page.get_by_label("Je confirme").check()
    button.click()
    page.wait_for_selector(".flash, [role=status], [role=alert]")
    assert "changent d'ateliers" in page.content()
    context.close()

"""The pages still work under the Content-Security-Policy (eventapp.security): chromium
reports no violation while a visitor reads the public pages and registers, an organiser
uses the builder, the speaker picker, the compte-rendu preview and the dashboard, and a
developer opens the Swagger UI — and each page's own script visibly ran."""

from __future__ import annotations

import re

import pytest
from factories import make_event, workshops
from regutil import reset_rate_limits
from test_admin_support import PASSWORD, accounts_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event
from eventapp.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

# Every violation the page reports, kept on the window from the very first script on.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (event) {
  window.__violations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


class Watched:
    """A chromium page that gathers CSP violations (DOM events and console reports)."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
        self.page.add_init_script(LISTEN)
        self.refused: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.refused.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None
            ),
        )
        self.visited: list[str] = []

    def goto(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None
        policy = response.all_headers().get("content-security-policy")
        assert policy == CONTENT_SECURITY_POLICY, (url, response.status)
        self.check(url)

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__violations || []")
        assert not violations and not self.refused, (where, violations, self.refused)
        self.visited.append(where)


@pytest.fixture
def days(app, demo, accounts) -> dict:
    reset_rate_limits()
    with app.app_context():
        event = make_event(slug="journee-csp", title="Journée sous CSP")
        rounds = workshops(event)
        demo_id = db.session.scalars(db.select(Event.id).where(Event.slug == demo)).one()
        item_id = rounds[0][0]
        found = {"slug": event.slug, "id": event.id, "demo": demo, "demo_id": demo_id}
        db.session.remove()
    return found | {"item_id": item_id}


def test_the_policy_check_does_catch_an_inline_script(browser) -> None:
    """The listener above is not blind: an inline script under the same policy is refused
    and reported."""
    watched = Watched(browser)
    page = watched.page
    page.route(
        "http://csp.invalid/",
        lambda route: route.fulfill(
            status=200,
            headers={
                "Content-Type": "text/html",
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            },
            body="<html lang='fr'><title>t</title><script>document.title = 'ran'</script></html>",
        ),
    )
    page.goto("http://csp.invalid/")
    page.wait_for_load_state("load")
    assert page.title() == "t"
    assert page.evaluate("window.__violations")
    page.close()


def test_public_pages_and_registration_work_under_the_policy(
    browser, live_server, days, screenshots
) -> None:
    watched = Watched(browser)
    page = watched.page
    for path in (
        "/",
        f"/events/{days['demo']}/",
        f"/events/{days['demo']}/speakers",
        f"/events/{days['demo']}/register",
        f"/events/{days['slug']}/",
        "/no-such-page",
    ):
        watched.goto(live_server + path)
    # The compte-rendu opens in chromium's PDF viewer under the same headers.
    watched.goto(f"{live_server}/events/{days['demo']}/proceedings.pdf")
    page.wait_for_timeout(3000)  # the viewer draws the pages: for the screenshot
    page.screenshot(path=str(screenshots / "csp-proceedings-pdf.png"))
    watched.goto(f"{live_server}/events/{days['slug']}/register")
    page.get_by_label("Prénom", exact=True).fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Peeters")
    page.get_by_label("Adresse e-mail", exact=True).fill("ines@example.org")
    page.get_by_label("Atelier 1, tour 1").check()
    page.get_by_label("Atelier 2, tour 2").check()
    page.locator('input[name="consent"]').check()
    page.get_by_role("button", name="S'inscrire").click()
    page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
    watched.check(page.url)
    assert page.locator("[data-status]").get_attribute("data-status") == "confirmed"
    page.get_by_role("link", name="Changer d'ateliers").click()
    watched.check(page.url)
    # The language switch posts a form (form-action 'self') and comes back, in Dutch.
    page.locator("#lang").select_option("nl")
    page.locator("form.language-switch button").click()
    page.wait_for_function("document.documentElement.lang === 'nl'")
    watched.check("language switch")
    page.close()


def test_organiser_pages_and_their_scripts_work_under_the_policy(
    browser, live_server, days
) -> None:
    watched = Watched(browser)
    page = watched.page
    watched.goto(live_server + "/admin/login")
    page.get_by_label("Adresse e-mail").fill("admin@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/admin/")
    watched.check("/admin/")
    event_id = days["id"]

    # The builder: its grid is placed by style attributes, its cards are draggable.
    watched.goto(f"{live_server}/admin/events/{event_id}/programme")
    grid = page.locator(".builder")
    assert grid.count() == 1
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.builder')).getPropertyValue('--rows')"
    ).strip()

    # The item form: admin.js shows the speaker picker (hidden without JavaScript) and fills
    # its suggestions from a fetch.
    watched.goto(f"{live_server}/admin/events/{event_id}/items/{days['item_id']}/edit")
    picker = page.locator(".speaker-picker")
    picker.wait_for(state="visible")
    picker.locator("input[type=search]").fill("Inter")
    page.wait_for_timeout(600)
    watched.check("speaker picker")

    # The compte-rendu: proceedings-preview.js renders a live preview while typing.
    watched.goto(f"{live_server}/admin/events/{days['demo_id']}/proceedings/edit")
    form = page.locator("form.proceedings-form").first
    form.locator("textarea").fill("Une **synthèse** des échanges.")
    form.locator("[data-preview] strong").wait_for()
    assert form.locator("[data-preview] strong").inner_text() == "synthèse"
    watched.check("proceedings preview")

    for path in (
        f"/admin/events/{event_id}/dashboard",
        f"/admin/events/{days['demo_id']}/dashboard",
        f"/admin/events/{event_id}/registrations",
        f"/admin/events/{event_id}/",
        "/admin/speakers",
        "/admin/tokens",
    ):
        watched.goto(live_server + path)
    page.close()


def test_the_swagger_page_works_under_the_policy(browser, live_server, days) -> None:
    watched = Watched(browser)
    page = watched.page
    watched.goto(live_server + "/api/v1/docs")
    # Its scripts ran: the document was fetched and drawn, operations listed.
    page.locator(".swagger-ui .info .title").wait_for()
    assert "eventapp" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body").first.wait_for()
    watched.check("swagger")
    page.close()

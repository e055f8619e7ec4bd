"""axe-core (the engine of browser accessibility checkers) finds no serious or critical
violation on the public pages, a participant's page and the organisers' pages, in French and
in Dutch, on a desktop and on a phone: contrast (WCAG AA), landmarks, headings, labels,
the language of each part (a fallback text carries its own lang)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/events/journee-reseau-2015/",
    "/events/journee-reseau-2015/speakers",
    "/events/journee-reseau-2015/register",
    "/events/journee-reseau-a-venir/",
    "/events/journee-reseau-a-venir/register",
    "/events/journee-reseau-2015/?lang=en",
    "/events/no-such-day/",
    "/admin/login",
]


@pytest.fixture
def upcoming(app, demo) -> None:
    from eventapp.demo import load_upcoming_demo

    with app.app_context():
        load_upcoming_demo()


def serious_violations(page) -> list:
    """axe's serious and critical findings on the page as it is now."""
    page.evaluate(AXE.read_text())  # not a <script>: the CSP allows none inline
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}
        })"""
    )
    return [
        (v["id"], v["help"], [node["target"] for node in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE"])
def test_no_serious_accessibility_violation(
    browser, live_server, upcoming, path, width, locale
) -> None:
    assert AXE.exists(), "make test installs axe-core (scripts/test-deps.sh)"
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=locale)
    page.goto(live_server + path)
    serious = serious_violations(page)
    page.close()
    assert not serious, serious


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["fr-BE", "nl-BE"])
def test_participant_and_organiser_pages(app, browser, live_server, upcoming, width, locale):
    """A participant's page, and the organiser's pages of a bilingual event (the forms with
    an input per language, the languages' completeness, the audit trail, the account)."""
    from regutil import post_registration, reset_rate_limits, token_of
    from test_admin_support import PASSWORD

    from eventapp.admin.accounts import create_organiser
    from eventapp.extensions import db
    from eventapp.models import Event
    from eventapp.programme import choice_blocks

    reset_rate_limits()
    with app.app_context():
        event = db.session.scalars(db.select(Event).filter_by(slug="journee-reseau-a-venir")).one()
        blocks = choice_blocks(event)
        picks = [blocks[0].workshops[0].id, blocks[1].workshops[1].id]
        organiser = create_organiser("a11y@example.org", PASSWORD, is_admin=True)
        event.managers.append(organiser)
        db.session.commit()
        event_id, theme_id = event.id, event.themes[0].id
    answer = post_registration(app.test_client(), "journee-reseau-a-venir", picks)
    token = token_of(answer.headers["Location"])
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    paths = [f"/r/{token}/"]
    page.goto(f"{live_server}/admin/login")
    page.locator('input[name="email"]').fill("a11y@example.org")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').last.click()
    page.wait_for_url(lambda url: "/admin/login" not in url)
    paths += [
        f"/admin/events/{event_id}/",
        f"/admin/events/{event_id}/edit",
        f"/admin/events/{event_id}/themes/{theme_id}/edit",
        f"/admin/events/{event_id}/proceedings/edit",
        f"/admin/events/{event_id}/audit",
        "/admin/account",
    ]
    found = {}
    for path in paths:
        page.goto(live_server + path)
        assert page.url.endswith(path), (path, page.url)
        serious = serious_violations(page)
        if serious:
            found[path] = serious
    context.close()
    assert not found, found


def test_the_check_does_catch_a_contrast_failure(browser) -> None:
    page = browser.new_page()
    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main><h1>t</h1>'
        '<p style="color:#bbb;background:#fff">texte trop pâle</p></main></body></html>'
    )
    page.evaluate(AXE.read_text())  # not a <script>: the CSP allows none inline
    result = page.evaluate("async () => await axe.run(document)")
    page.close()
    assert "color-contrast" in {v["id"] for v in result["violations"]}

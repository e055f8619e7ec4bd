"""axe-core (the engine of browser accessibility checkers) finds no serious or critical
violation on the public pages: contrast (WCAG AA), landmarks, headings, labels."""

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
    "/events/no-such-day/",
    "/admin/login",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", [1280, 390])
def test_no_serious_accessibility_violation(browser, live_server, demo, path, width) -> None:
    assert AXE.exists(), "make test installs axe-core (scripts/test-deps.sh)"
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="fr-BE")
    page.goto(live_server + path)
    page.evaluate(AXE.read_text())  # not a <script>: the CSP allows none inline
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}
        })"""
    )
    page.close()
    serious = [
        (v["id"], v["help"], [node["target"] for node in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


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

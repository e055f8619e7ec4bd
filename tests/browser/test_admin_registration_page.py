"""An organiser runs registrations in a real browser: the list names each person and their
workshops; confirm, move, check in and cancel happen on the person's own page, which axe
finds free of serious accessibility violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import make_event, workshops
from test_admin_support import PASSWORD, accounts_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import ProgrammeItem, Registration, User
from eventapp.registration import Applicant, register

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


def _serious_violations(page) -> list:
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


def _setup(app, accounts) -> int:
    with app.app_context():
        event = make_event(workshop_capacity=1)
        event.managers = [db.session.get(User, accounts["alice"])]
        db.session.commit()
        (a, _b, _c), (a2, b2, _c2) = workshops(event)
        item = {i: db.session.get(ProgrammeItem, i) for i in (a, a2, b2)}
        register(event, Applicant("Ana", "López", "ana@example.org"), [item[a], item[a2]])
        register(event, Applicant("Bruno", "Martin", "bruno@example.org"), [item[a], item[b2]])
        event_id = event.id
        db.session.remove()
    return event_id


def test_organiser_confirms_moves_checks_in_and_cancels_on_the_persons_page(
    browser, live_server, app, accounts, screenshots
) -> None:
    assert AXE.exists(), "make test installs axe-core (scripts/test-deps.sh)"
    event_id = _setup(app, accounts)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server + "/admin/login")
    page.get_by_label("Adresse e-mail").fill("alice@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/admin/")

    list_url = f"{live_server}/admin/events/{event_id}/registrations?status=waitlisted"
    page.goto(list_url)
    rows = page.locator("table.registrations tbody tr")
    assert rows.count() == 1
    assert "Martin Bruno" in rows.inner_text() and "Atelier 2, tour 2" in rows.inner_text()
    assert rows.locator("select, button").count() == 0
    assert not _serious_violations(page)
    page.get_by_role("link", name="Martin Bruno").click()
    page.wait_for_url(re.compile(r"/registrations/\d+\?back="))
    assert page.get_by_role("heading", name="Inscription de Bruno Martin").is_visible()
    assert page.locator("[data-status]").get_attribute("data-status") == "waitlisted"
    assert not _serious_violations(page)

    # Full: refused until "même si complet" is ticked.
    page.get_by_role("button", name="Confirmer l'inscription").click()
    assert page.get_by_text("Complet : Atelier 1, tour 1.").is_visible()
    page.get_by_label("même si complet").check()
    page.get_by_role("button", name="Confirmer l'inscription").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bruno Martin : inscription confirmée.").is_visible()
    assert page.locator("[data-status]").get_attribute("data-status") == "confirmed"

    # One select per round, with that round's workshops and their seats.
    round_one = page.get_by_label("Créneau 1", exact=True)
    labels = round_one.locator("option").all_inner_texts()
    assert labels[1:] == [
        "Atelier 1, tour 1 — complet",
        "Atelier 2, tour 1 — 1 place(s) libre(s)",
        "Atelier 3, tour 1 — 1 place(s) libre(s)",
    ]
    round_one.select_option(label="Atelier 3, tour 1 — 1 place(s) libre(s)")
    page.get_by_role("button", name="Enregistrer le changement").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bruno Martin : ateliers modifiés.").is_visible()
    assert page.get_by_text("Créneau 1 : Atelier 3, tour 1").is_visible()

    page.get_by_role("button", name="Marquer Bruno Martin présent").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bruno Martin : présence notée.").is_visible()
    assert page.get_by_text(re.compile(r"Présent depuis \d\d:\d\d")).is_visible()
    page.screenshot(path=str(screenshots / "admin-registration.png"), full_page=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert not _serious_violations(page), width

    page.get_by_role("button", name="Annuler l'inscription").click()
    page.wait_for_load_state()
    assert page.get_by_text("Bruno Martin : inscription annulée.").is_visible()
    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"

    # Back to the list as it was left (the waiting list, now empty).
    page.get_by_role("link", name="← Retour à la liste des inscriptions").click()
    page.wait_for_url(list_url)
    assert page.get_by_text("Aucune inscription ne correspond.").is_visible()
    with app.app_context():
        bruno = db.session.scalars(
            db.select(Registration).where(Registration.last_name == "Martin")
        ).one()
        assert bruno.status == "cancelled"
    page.close()

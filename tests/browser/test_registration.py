"""A participant registers in a real browser, changes a workshop, then cancels."""

from __future__ import annotations

import re

import pytest
from factories import make_event
from regutil import reset_rate_limits

pytestmark = pytest.mark.browser


@pytest.fixture
def open_event(app) -> str:
    reset_rate_limits()
    with app.app_context():
        return make_event(slug="journee-navigateur", title="Journée au navigateur").slug


def test_register_change_workshop_and_cancel(browser, live_server, open_event, screenshots) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    page.goto(f"{live_server}/events/{open_event}/")
    page.get_by_role("link", name="S'inscrire").click()
    page.wait_for_url(re.compile(r".*/register$"))

    page.get_by_label("Prénom", exact=True).fill("Zoé")
    page.get_by_label("Nom", exact=True).fill("Van den Berg")
    page.get_by_label("Adresse e-mail", exact=True).fill("zoe@example.org")
    page.get_by_label("Organisation", exact=True).fill("CPAS de Liège")
    page.get_by_label("Atelier 1, tour 1").check()
    page.get_by_label("Atelier 2, tour 2").check()
    page.locator('input[name="consent"]').check()
    page.screenshot(path=str(screenshots / "register-form.png"), full_page=True)
    page.get_by_role("button", name="S'inscrire").click()

    page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "confirmed"
    assert "Votre inscription est confirmée." in status.inner_text()
    workshops = page.locator(".my-workshops")
    assert "Atelier 1, tour 1" in workshops.inner_text()
    participant_url = page.url

    page.get_by_role("link", name="Changer d'ateliers").click()
    page.get_by_label("Atelier 3, tour 1").check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_url(participant_url)
    assert "Vos choix d'ateliers sont enregistrés." in page.locator("main").inner_text()
    text = page.locator(".my-workshops").inner_text()
    assert "Atelier 3, tour 1" in text and "Atelier 1, tour 1" not in text
    page.screenshot(path=str(screenshots / "participant-changed.png"), full_page=True)

    page.get_by_role("link", name="Annuler mon inscription").click()
    assert "Voulez-vous vraiment annuler" in page.locator("main").inner_text()
    page.get_by_role("button", name="Oui, annuler mon inscription").click()
    page.wait_for_url(participant_url)
    assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
    assert "Votre inscription est annulée." in page.locator("main").inner_text()
    page.close()


def test_refused_form_shows_messages_beside_the_fields(browser, live_server, open_event) -> None:
    page = browser.new_page(locale="fr-BE")
    page.goto(f"{live_server}/events/{open_event}/register")
    page.get_by_label("Prénom", exact=True).fill("Zoé")
    page.get_by_label("Adresse e-mail", exact=True).fill("pas-une-adresse")
    page.get_by_role("button", name="S'inscrire").click()
    assert page.locator("#last_name-error").inner_text() == "Indiquez votre nom."
    assert page.locator("#email-error").inner_text() == "Cette adresse e-mail n'est pas valide."
    assert (
        page.locator("#workshop_1-error").inner_text() == "Choisissez un atelier pour ce créneau."
    )
    assert page.get_by_label("Prénom", exact=True).input_value() == "Zoé"
    page.close()

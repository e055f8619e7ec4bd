"""An organiser builds a network day in a real browser: two parallel workshops, a
double-booked speaker flagged and refused at publication, fixed, published, opened."""

from __future__ import annotations

import re

import pytest
from regutil import reset_rate_limits
from test_admin_support import PASSWORD, accounts_fixture, build_event  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event

pytestmark = pytest.mark.browser


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/admin/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base + "/admin/")


def _card(page, title: str):
    heading = page.get_by_role("heading", name=title, exact=True)
    return page.locator(".builder-item").filter(has=heading)


def _add_item(page, title: str, room: str, speakers: list[str]) -> None:
    page.get_by_role("link", name="Ajouter un élément", exact=True).click()
    page.get_by_label("Type", exact=True).select_option(label="Atelier")
    page.get_by_label("Titre", exact=True).fill(title)
    page.get_by_label("Début", exact=True).fill("2030-06-12T14:00")
    page.get_by_label("Fin", exact=True).fill("2030-06-12T15:30")
    page.get_by_label("Salle", exact=True).select_option(label=f"{room} (20)")
    page.get_by_label("Places", exact=True).fill("20")
    for name in speakers:
        page.get_by_label("Intervenants, dans l'ordre").press("End")
        text = page.get_by_label("Intervenants, dans l'ordre").input_value()
        page.get_by_label("Intervenants, dans l'ordre").fill((text + "\n" + name).strip())
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/programme"))


def test_organiser_builds_fixes_publishes_and_opens_registration(
    browser, live_server, accounts, screenshots
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    page.goto(live_server + "/admin/")
    page.wait_for_url(re.compile(r"/admin/login"))
    page.get_by_label("Adresse e-mail").fill("alice@example.org")
    page.get_by_label("Mot de passe").fill("un mot de passe solide")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/admin/")

    page.get_by_role("link", name="Nouvel événement").click()
    page.get_by_label("Titre", exact=True).fill("Journée réseau 2030")
    page.get_by_label("Début", exact=True).fill("2030-06-12T09:00")
    page.get_by_label("Fin", exact=True).fill("2030-06-12T17:00")
    page.get_by_role("button", name="Créer l'événement").click()
    page.wait_for_url(re.compile(r"/admin/events/\d+/$"))
    overview = page.url

    page.get_by_role("link", name="Salles").click()
    for name in ("Salle Nord", "Salle Sud"):
        page.get_by_label("Nom de la salle").fill(name)
        page.get_by_label("Capacité", exact=True).fill("20")
        page.get_by_role("button", name="Ajouter la salle").click()
        page.wait_for_load_state()
    assert page.locator("table.data tbody tr").count() == 2

    page.get_by_role("link", name="Programme", exact=True).click()
    _add_item(page, "Atelier A", "Salle Nord", ["Marie Curie"])

    # The second workshop's speaker is picked with the name search (the JS enhancement).
    page.get_by_role("link", name="Ajouter un élément", exact=True).click()
    page.get_by_label("Trouver un intervenant par son nom").fill("curi")
    option = page.locator("#speaker-suggestions option")
    option.first.wait_for(state="attached")
    label = option.first.get_attribute("value")
    assert label.startswith("Marie Curie #")
    page.get_by_label("Trouver un intervenant par son nom").fill(label)
    page.get_by_role("button", name="Ajouter à la liste").click()
    assert page.get_by_label("Intervenants, dans l'ordre").input_value() == label
    page.get_by_label("Type", exact=True).select_option(label="Atelier")
    page.get_by_label("Titre", exact=True).fill("Atelier B")
    page.get_by_label("Début", exact=True).fill("2030-06-12T14:00")
    page.get_by_label("Fin", exact=True).fill("2030-06-12T15:30")
    page.get_by_label("Salle", exact=True).select_option(label="Salle Sud (20)")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/programme"))

    # Side by side in the grid, and the double booking flagged beside both items.
    nord = _card(page, "Atelier A").bounding_box()
    sud = _card(page, "Atelier B").bounding_box()
    assert round(nord["y"]) == round(sud["y"]) and sud["x"] > nord["x"]
    conflict = "Marie Curie intervient en même temps dans « Atelier A » et « Atelier B »."
    assert _card(page, "Atelier B").get_by_text(conflict).is_visible()
    page.screenshot(path=str(screenshots / "admin-programme-conflict.png"), full_page=True)

    page.goto(overview)
    page.get_by_role("button", name="Publier", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Publication refusée : 1 conflit(s)").is_visible()
    assert page.locator("[data-switch=event]").get_by_text("Brouillon").is_visible()

    # Fix: another speaker for workshop B.
    page.get_by_role("link", name=conflict).click()
    _card(page, "Atelier B").get_by_role("link", name="Atelier B").click()
    page.get_by_label("Intervenants, dans l'ordre").fill("Pierre Curie")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/programme"))
    assert page.get_by_text("Aucun conflit.").is_visible()

    page.goto(overview)
    page.get_by_role("button", name="Publier", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Événement publié.").is_visible()
    page.get_by_role("button", name="Ouvrir les inscriptions").click()
    page.wait_for_load_state()
    assert page.locator("[data-switch=registration]").get_by_text("Ouvertes").is_visible()
    page.screenshot(path=str(screenshots / "admin-event-published.png"), full_page=True)

    page.get_by_role("link", name="Voir la page publique").click()
    assert page.locator("h1").inner_text() == "Journée réseau 2030"
    assert page.get_by_text("Pierre Curie").first.is_visible()

    # A participant registers (in their own browser context)…
    reset_rate_limits()
    visitor = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
    visitor.goto(page.url)
    visitor.get_by_role("link", name="S'inscrire").click()
    visitor.get_by_label("Prénom", exact=True).fill("Zoé")
    visitor.get_by_label("Nom", exact=True).fill("Lefèvre")
    visitor.get_by_label("Adresse e-mail", exact=True).fill("zoe@example.org")
    visitor.get_by_label("Organisation", exact=True).fill("CPAS de Liège")
    visitor.get_by_label("Atelier A").check()
    visitor.locator('input[name="consent"]').check()
    visitor.get_by_role("button", name="S'inscrire").click()
    visitor.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
    assert visitor.locator("[data-status]").get_attribute("data-status") == "confirmed"
    visitor.close()

    # …the organiser finds her in the list, then checks her in on the day.
    page.goto(overview)
    page.get_by_role("link", name="Inscriptions", exact=True).first.click()
    page.get_by_label("Rechercher (nom, e-mail, organisation)").fill("lefevre")
    page.get_by_role("button", name="Filtrer").click()
    row = page.locator("table.registrations tbody tr")
    assert row.count() == 1
    assert "Lefèvre Zoé" in row.inner_text() and "Atelier A" in row.inner_text()
    page.get_by_role("link", name="Accueil (présences)").first.click()
    assert page.get_by_text("Présents : 0 sur 1").is_visible()
    page.get_by_label("Nom, e-mail ou organisation").fill("zoé")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("button", name="Marquer Zoé Lefèvre présent").click()
    page.wait_for_load_state()
    assert page.get_by_text("Présents : 1 sur 1").is_visible()
    assert page.get_by_text("Zoé Lefèvre : présence notée.").is_visible()
    page.screenshot(path=str(screenshots / "admin-checkin.png"), full_page=True)
    page.close()


def test_dragging_an_item_onto_the_grid_moves_it(browser, live_server, accounts, app) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        small = db.session.get(Event, event_id).rooms[1].id
        db.session.remove()
    page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="fr-BE")
    _log_in(page, live_server, "alice@example.org")
    page.goto(f"{live_server}/admin/events/{event_id}/programme")
    target = page.locator(f'.builder-slot[data-room="{small}"][data-start="2030-05-10T16:00"]')
    _card(page, "Atelier un").drag_to(target)
    page.wait_for_selector(".flash")
    assert page.get_by_text("« Atelier un » déplacé.").is_visible()
    moved = _card(page, "Atelier un")
    assert "16:00–17:30" in moved.inner_text()
    deux = _card(page, "Atelier deux").bounding_box()
    box = moved.bounding_box()
    assert abs(box["x"] - deux["x"]) < 2 and box["y"] > deux["y"], "now in Salle A, later"
    page.close()

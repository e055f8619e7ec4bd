"""Speakers are shared by every event: an organiser changes only those who speak in no
event but theirs; a speaker also in someone else's programme is changed by an administrator
(else one organiser would rewrite another's programme, calendars and compte-rendu)."""

from __future__ import annotations

from helpers import visible_text
from test_admin_support import accounts_fixture, build_event, login, post  # noqa: F401
from test_api_support import bearer

from eventapp.admin.api_tokens import create_token
from eventapp.extensions import db
from eventapp.models import Event, ItemSpeaker, Speaker, User


def _speaker_ids(app, accounts) -> dict[str, int]:
    """Alice's event has Ada and Alan; Ada speaks at Bob's event's opening too."""
    with app.app_context():
        alice_event = db.session.get(Event, build_event(accounts["alice"]))
        speakers = {s.name: s for item in alice_event.items for s in item.speakers}
        ada, alan = speakers["Ada Lovelace"], speakers["Alan Turing"]
        bob_event = db.session.get(Event, build_event(accounts["bob"], slug="bob-2030"))
        bob_event.items[0].speaker_links = [ItemSpeaker(speaker=ada, position=0)]
        db.session.commit()
        ids = {"ada": ada.id, "alan": alan.id}
        db.session.remove()
    return ids


def test_an_organiser_cannot_change_a_speaker_of_another_organisers_event(
    app, client, accounts
) -> None:
    ids = _speaker_ids(app, accounts)
    login(client, "alice@example.org")
    page = client.get("/admin/speakers?q=Ada").text
    listing = visible_text(page)
    assert "Aussi au programme d'un événement que vous ne gérez pas" in listing
    # Neither a change nor a removal is offered where it would be refused.
    assert "Supprimer" not in listing and f"/admin/speakers/{ids['ada']}/delete" not in page
    assert "Supprimer" in visible_text(client.get("/admin/speakers?q=Alan").text)
    page = client.get(f"/admin/speakers/{ids['ada']}/edit")
    assert page.status_code == 303
    refused = post(
        client,
        f"/admin/speakers/{ids['ada']}/edit",
        {"name": "Ada Byron", "role": "pirate", "organisation": ""},
        token_from="/admin/speakers",
    )
    assert refused.status_code == 303
    message = visible_text(client.get(refused.headers["Location"]).text)
    assert "seul un administrateur peut modifier cette fiche" in message
    with app.app_context():
        ada = db.session.get(Speaker, ids["ada"])
        assert (ada.name, ada.role) == ("Ada Lovelace", "analyste")
    # a speaker in no one else's programme stays hers to change
    changed = post(
        client,
        f"/admin/speakers/{ids['alan']}/edit",
        {"name": "Alan M. Turing", "role": "mathématicien", "organisation": "Bletchley"},
        token_from="/admin/speakers",
    )
    assert changed.status_code == 303
    with app.app_context():
        assert db.session.get(Speaker, ids["alan"]).name == "Alan M. Turing"


def test_an_administrator_changes_a_speaker_shared_by_two_events(app, client, accounts) -> None:
    ids = _speaker_ids(app, accounts)
    login(client, "admin@example.org")
    assert "vous ne gérez pas" not in client.get("/admin/speakers?q=Ada").text
    answer = post(
        client,
        f"/admin/speakers/{ids['ada']}/edit",
        {"name": "Ada King", "role": "comtesse", "organisation": "Lovelace"},
        token_from="/admin/speakers",
    )
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(Speaker, ids["ada"]).name == "Ada King"


def test_the_api_refuses_the_same_change_with_403(app, client, accounts) -> None:
    ids = _speaker_ids(app, accounts)
    with app.app_context():
        secret = create_token(db.session.get(User, accounts["alice"]), "script").secret
    refused = client.patch(
        f"/api/v1/organiser/speakers/{ids['ada']}", json={"role": "pirate"}, headers=bearer(secret)
    )
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "an administrator" in refused.json["detail"]
    allowed = client.patch(
        f"/api/v1/organiser/speakers/{ids['alan']}",
        json={"role": "amirale"},
        headers=bearer(secret),
    )
    assert allowed.status_code == 200 and allowed.json["role"] == "amirale"
    with app.app_context():
        assert db.session.get(Speaker, ids["ada"]).role == "analyste"


def test_a_speaker_prepared_by_another_organiser_is_theirs_until_placed(app, accounts) -> None:
    bob, alice, admin = app.test_client(), app.test_client(), app.test_client()
    login(bob, "bob@example.org")
    created = post(
        bob,
        "/admin/speakers/new",
        {"name": "Grace Hopper", "role": "amirale", "organisation": "US Navy"},
        token_from="/admin/speakers",
    )
    assert created.status_code == 303
    with app.app_context():
        grace = db.session.scalars(db.select(Speaker).filter_by(name="Grace Hopper")).one().id

    login(alice, "alice@example.org")
    page = alice.get("/admin/speakers?q=Grace").text
    assert "Préparé par un autre organisateur" in visible_text(page)
    assert f"/admin/speakers/{grace}/delete" not in page
    assert f"/admin/speakers/{grace}/edit" not in page
    for url, form in (
        (f"/admin/speakers/{grace}/delete", {}),
        (
            f"/admin/speakers/{grace}/edit",
            {"name": "Grace B. Hopper", "role": "", "organisation": ""},
        ),
    ):
        refused = post(alice, url, form, token_from="/admin/speakers")
        assert refused.status_code == 303
        message = visible_text(alice.get(refused.headers["Location"]).text)
        assert "a été préparé par un autre organisateur" in message
        with app.app_context():
            assert db.session.get(Speaker, grace).name == "Grace Hopper"

    # Bob, who prepared her, and an administrator may.
    assert f"/admin/speakers/{grace}/delete" in bob.get("/admin/speakers?q=Grace").text
    login(admin, "admin@example.org")
    renamed = post(
        admin,
        f"/admin/speakers/{grace}/edit",
        {"name": "Grace B. Hopper", "role": "amirale", "organisation": "US Navy"},
        token_from="/admin/speakers",
    )
    assert renamed.status_code == 303
    deleted = post(bob, f"/admin/speakers/{grace}/delete", token_from="/admin/speakers")
    assert "Intervenant supprimé." in visible_text(bob.get(deleted.headers["Location"]).text)
    with app.app_context():
        assert db.session.get(Speaker, grace) is None


def test_the_api_keeps_a_speaker_prepared_through_it_to_its_organiser(app, client, accounts):
    with app.app_context():
        bob = create_token(db.session.get(User, accounts["bob"]), "script").secret
        alice = create_token(db.session.get(User, accounts["alice"]), "script").secret
    created = client.post(
        "/api/v1/organiser/speakers", json={"name": "Grace Hopper"}, headers=bearer(bob)
    )
    assert created.status_code == 201
    url = f"/api/v1/organiser/speakers/{created.json['id']}"
    refused = client.patch(url, json={"role": "pirate"}, headers=bearer(alice))
    assert refused.status_code == 403
    assert "prepared by another organiser" in refused.json["detail"]
    allowed = client.patch(url, json={"role": "amirale"}, headers=bearer(bob))
    assert allowed.status_code == 200 and allowed.json["role"] == "amirale"

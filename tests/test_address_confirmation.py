"""Registering someone else's address: asking again mails its owner a fresh link and voids
the old one (at most once an hour); an event may make registrants confirm their address,
their page read-only until they do, their seat released when they do not."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from factories import make_event, workshops
from helpers import csrf_token, visible_text
from regutil import outbox, person, post_registration, reset_rate_limits, token_of
from test_admin_support import accounts_fixture, login, post  # noqa: F401
from test_api_support import bearer, organisers_fixture  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, Registration, User
from eventapp.models.types import utcnow

SLUG = "journee-ouverte"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/r/[\w-]+/(?:confirm/[\w-]+)?)")


@pytest.fixture
def rounds(app) -> list[list[int]]:
    reset_rate_limits()
    with app.app_context():
        found = workshops(make_event(workshop_capacity=1))
        db.session.remove()
    return found


@pytest.fixture
def confirming(app, rounds) -> list[list[int]]:
    """The event asks registrants to confirm their address (12 hours to do it)."""
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        event.confirm_address, event.confirm_hours = True, 12
        db.session.commit()
    return rounds


def _picks(rounds, n: int = 0) -> list[int]:
    """One workshop a round, two different themes."""
    return [rounds[0][n], rounds[1][(n + 1) % 3]]


def _links(app, kind: str) -> list[str]:
    return [LINK.search(row.body_text).group(1) for row in outbox(app, kind)]


def _registration(app, email: str) -> Registration:
    with app.app_context():
        found = db.session.scalars(db.select(Registration).filter_by(email=email)).one()
        db.session.expunge(found)
        return found


# --- asking again for an address already registered -------------------------------------


def test_asking_again_mails_a_fresh_link_and_the_squatter_loses_the_page(
    app, client, rounds
) -> None:
    squatter = post_registration(client, SLUG, _picks(rounds), person("victime@example.org"))
    held = squatter.headers["Location"]
    assert client.get(held).status_code == 200
    owner = post_registration(client, SLUG, _picks(rounds), person("Victime@Example.org"))
    assert owner.headers["Location"] == f"/events/{SLUG}/register/sent"
    [fresh] = _links(app, "already_registered")
    assert fresh != held
    assert client.get(held).status_code == 404  # the squatter's link is void
    assert client.get(held + "cancel").status_code == 404
    page = client.get(fresh)
    assert page.status_code == 200 and 'data-status="confirmed"' in page.text
    confirm = client.get(fresh + "cancel")
    assert (
        client.post(fresh + "cancel", data={"csrf_token": csrf_token(confirm.text)}).status_code
        == 303
    )
    assert 'data-status="cancelled"' in client.get(fresh).text


def test_the_squatter_cannot_get_the_fresh_link_by_sending_the_form_again(
    app, client, rounds
) -> None:
    form = client.get(f"/events/{SLUG}/register")
    submission = re.search(r'name="submission"[^>]*value="([^"]+)"', form.text) or re.search(
        r'value="([^"]+)"[^>]*name="submission"', form.text
    )
    data = {
        **person("victime@example.org"),
        "csrf_token": csrf_token(form.text),
        "submission": submission.group(1),
        "workshop_1": str(rounds[0][0]),
        "workshop_2": str(rounds[1][1]),
    }
    first = client.post(f"/events/{SLUG}/register", data=data)
    assert first.status_code == 303 and first.headers["Location"].startswith("/r/")
    post_registration(client, SLUG, _picks(rounds), person("victime@example.org"))  # the owner
    [fresh] = _links(app, "already_registered")
    resent = client.post(f"/events/{SLUG}/register", data=data)  # the same form again
    assert resent.headers["Location"] == f"/events/{SLUG}/register/sent"
    assert fresh not in resent.text and token_of(fresh) not in resent.headers["Location"]


def test_at_most_one_such_mail_an_hour_and_the_same_answer_every_time(app, client, rounds) -> None:
    post_registration(client, SLUG, _picks(rounds), person("ana@example.org"))
    answers = []
    for _ in range(3):
        again = post_registration(client, SLUG, _picks(rounds), person("ana@example.org"))
        answers.append((again.status_code, again.headers["Location"]))
        answers.append(visible_text(client.get(again.headers["Location"]).text))
    assert answers[0::2] == [(303, f"/events/{SLUG}/register/sent")] * 3
    assert answers[1] == answers[3] == answers[5]  # the page says nothing more
    [link] = _links(app, "already_registered")
    assert client.get(link).status_code == 200  # not rotated by the unmailed tries
    api = client.post(
        f"/api/v1/events/{SLUG}/registrations",
        json={"first_name": "A", "last_name": "B", "email": "ana@example.org", "consent": True,
              "workshops": _picks(rounds)},
    )  # fmt: skip
    assert api.status_code == 202 and "token" not in api.json
    assert len(outbox(app, "already_registered")) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        reset_rate_limits()
        post_registration(client, SLUG, _picks(rounds), person("ana@example.org"))
    old, new = _links(app, "already_registered")
    assert old == link and new != link
    assert client.get(link).status_code == 404 and client.get(new).status_code == 200


# --- an event whose registrants confirm their address ----------------------------------


def test_the_setting_is_off_by_default_and_on_the_demo_days(app, demo) -> None:
    with app.app_context():
        assert make_event(slug="nouvelle").confirm_address is False
        demos = db.session.scalars(db.select(Event).where(Event.slug.like("journee-reseau%"))).all()
        assert demos and not any(event.confirm_address for event in demos)


def test_an_unconfirmed_page_is_read_only_until_the_mailed_link_is_followed(
    app, client, confirming
) -> None:
    answer = post_registration(client, SLUG, _picks(confirming), person("ana@example.org"))
    page_url = answer.headers["Location"]
    page = client.get(page_url)
    text = visible_text(page.text)
    assert "data-awaiting-confirmation" in page.text
    assert "Votre adresse e-mail doit être confirmée." in text
    assert 'data-status="confirmed"' in page.text  # the seat is held
    for action in ("Changer d'ateliers", "Annuler mon inscription", "Effacer mes données"):
        assert action not in text
    # Only the confirmation link was mailed, not the status mail.
    assert [row.kind for row in outbox(app)] == ["confirm_address"]
    [confirm_link] = _links(app, "confirm_address")
    assert confirm_link.startswith(page_url + "confirm/")
    # Every action is refused, and nothing changes.
    token = csrf_token(page.text)
    for action in ("cancel", "erase", "reactivate", "language", "change"):
        refused = client.post(page_url + action, data={"csrf_token": token, "language": "nl"})
        assert refused.status_code == 303 and refused.headers["Location"] == page_url, action
    assert client.get(page_url + "cancel").status_code == 303
    assert client.get(page_url + "change").status_code == 303
    again = visible_text(client.get(page_url).text)
    assert "Votre adresse e-mail doit d'abord être confirmée" in again
    stored = _registration(app, "ana@example.org")
    assert stored.status == "confirmed" and stored.erased_at is None and stored.language == "fr"
    # A wrong key confirms nothing.
    assert client.get(page_url + "confirm/" + "x" * 43).status_code == 404
    assert (
        client.post(page_url + "confirm/" + "x" * 43, data={"csrf_token": token}).status_code == 404
    )
    # The link shows a button (a mail scanner opening it confirms nothing)…
    shown = client.get(confirm_link)
    assert shown.status_code == 200 and "Oui, c'est mon adresse" in shown.text
    assert _registration(app, "ana@example.org").confirm_token is not None
    forged = client.post(confirm_link, data={})  # no CSRF token
    assert forged.status_code == 400
    # …which confirms the address and moves the page to a new link, mailed.
    done = client.post(confirm_link, data={"csrf_token": csrf_token(shown.text)})
    assert done.status_code == 303
    new_url = done.headers["Location"]
    page = client.get(new_url)
    assert new_url != page_url and client.get(page_url).status_code == 404
    assert "data-awaiting-confirmation" not in page.text
    assert "Votre adresse est confirmée." in visible_text(page.text)
    assert "Annuler mon inscription" in visible_text(page.text)
    assert _links(app, "confirmed") == [new_url]
    assert client.get(confirm_link).status_code == 404  # used once


def test_the_api_says_the_address_awaits_confirmation(app, client, confirming) -> None:
    body = {"first_name": "Ana", "last_name": "L", "email": "ana@example.org", "consent": True,
            "workshops": _picks(confirming)}  # fmt: skip
    answer = client.post(f"/api/v1/events/{SLUG}/registrations", json=body)
    assert answer.status_code == 201
    assert answer.json["awaiting_confirmation"] is True
    assert "data-awaiting-confirmation" in client.get(answer.json["url"]).text
    assert [row.kind for row in outbox(app)] == ["confirm_address"]


def test_asking_again_before_confirming_mails_a_fresh_confirmation_link(
    app, client, confirming
) -> None:
    post_registration(client, SLUG, _picks(confirming), person("ana@example.org"))
    [first] = _links(app, "confirm_address")
    post_registration(client, SLUG, _picks(confirming), person("ana@example.org"))
    assert not outbox(app, "already_registered")
    old, fresh = _links(app, "confirm_address")
    assert old == first and fresh != first
    assert client.get(first).status_code == 404
    shown = client.get(fresh)
    assert client.post(fresh, data={"csrf_token": csrf_token(shown.text)}).status_code == 303


def _release(app) -> str:
    result = app.test_cli_runner().invoke(args=["registrations", "release-unconfirmed"])
    assert result.exit_code == 0, result.output
    return result.output


def test_unconfirmed_seats_are_released_after_the_delay_and_the_waitlist_promoted(
    app, client, confirming
) -> None:
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        event.confirm_address = False  # Bea registered before the setting was on
        db.session.commit()
    post_registration(client, SLUG, _picks(confirming, 1), person("bea@example.org"))
    with app.app_context():
        db.session.scalars(db.select(Event)).one().confirm_address = True
        db.session.commit()
    squatted = post_registration(client, SLUG, _picks(confirming), person("victime@example.org"))
    waiting = post_registration(client, SLUG, _picks(confirming), person("carl@example.org"))
    carl_page = waiting.headers["Location"]
    assert 'data-status="waitlisted"' in client.get(carl_page).text
    shown = client.get(_links(app, "confirm_address")[1])  # Carl confirms his address
    carl_page = client.post(
        _links(app, "confirm_address")[1], data={"csrf_token": csrf_token(shown.text)}
    ).headers["Location"]
    page = visible_text(client.get(squatted.headers["Location"]).text)
    assert "Sans confirmation, la place est libérée" in page
    # Before the delay: nothing released.
    with time_machine.travel(utcnow() + timedelta(hours=11, minutes=50)):
        assert "0 inscriptions non confirmées libérées." in _release(app)
    assert 'data-status="waitlisted"' in client.get(carl_page).text
    # After it: the seat is released, the data erased, Carl promoted and told.
    with time_machine.travel(utcnow() + timedelta(hours=12, minutes=1)):
        assert "1 inscription non confirmée libérée." in _release(app)
    assert client.get(squatted.headers["Location"]).status_code == 404
    with app.app_context():
        gone = db.session.scalars(db.select(Registration).filter_by(erased_at=None)).all()
        assert sorted(r.email for r in gone) == ["bea@example.org", "carl@example.org"]
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Registration)
                .where(Registration.email == "victime@example.org")
            )
            == 0
        )
    assert 'data-status="confirmed"' in client.get(carl_page).text
    assert [row.recipient for row in outbox(app, "promoted")] == ["carl@example.org"]
    # The address is free: its owner can register now.
    again = post_registration(client, SLUG, _picks(confirming, 2), person("victime@example.org"))
    assert again.headers["Location"].startswith("/r/")


def test_the_mail_watcher_releases_them_too(app, client, confirming, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    squatted = post_registration(client, SLUG, _picks(confirming), person("victime@example.org"))
    with time_machine.travel(utcnow() + timedelta(hours=13)):
        result = app.test_cli_runner().invoke(
            args=["mail", "send", "--watch", "--interval", "0.05", "--parent", "-1"]
        )
    assert result.exit_code == 0, result.output
    assert client.get(squatted.headers["Location"]).status_code == 404


# --- the organiser's setting -------------------------------------------------------------


def test_the_organiser_form_recommends_and_sets_it(app, client, accounts, rounds) -> None:
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        event.managers = [db.session.get(User, accounts["alice"])]
        db.session.commit()
        event_id = event.id
    login(client, "alice@example.org")
    form = client.get(f"/admin/events/{event_id}/edit")
    text = visible_text(form.text)
    assert "Les inscrits confirment leur adresse e-mail" in text
    assert "Recommandé" in text
    assert 'name="confirm_address"' in form.text and 'name="confirm_hours"' in form.text
    fields = dict(re.findall(r'name="([\w-]+)"[^>]*value="([^"]*)"', form.text))
    fields.pop("csrf_token", None)
    fields = {
        k: v for k, v in fields.items() if k not in ("confirm_address", "confirm_time_change")
    }
    bad = post(client, f"/admin/events/{event_id}/edit", {**fields, "confirm_address": "y",
               "confirm_hours": "0"}, token_from=f"/admin/events/{event_id}/edit")  # fmt: skip
    assert bad.status_code == 400 and "Entre 1 et 336 heures." in visible_text(bad.text)
    with app.app_context():
        assert db.session.get(Event, event_id).confirm_address is False
    saved = post(client, f"/admin/events/{event_id}/edit", {**fields, "confirm_address": "y",
                 "confirm_hours": "24"}, token_from=f"/admin/events/{event_id}/edit")  # fmt: skip
    assert saved.status_code == 303, visible_text(saved.text)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert (event.confirm_address, event.confirm_hours) == (True, 24)
    reset_rate_limits()
    post_registration(client, SLUG, _picks(rounds), person("ana@example.org"))
    listing = client.get(f"/admin/events/{event_id}/registrations")
    assert "adresse non confirmée" in visible_text(listing.text)


def test_the_organiser_api_reads_and_sets_it(app, client, organisers) -> None:
    alice = bearer(organisers["alice"])
    url = f"/api/v1/organiser/events/{SLUG}"
    shown = client.get(url, headers=alice).json
    assert (shown["confirm_address"], shown["confirm_hours"]) == (False, 48)
    refused = client.patch(url, json={"confirm_hours": 0}, headers=alice)
    assert refused.status_code == 422
    changed = client.patch(url, json={"confirm_address": True, "confirm_hours": 6}, headers=alice)
    assert changed.status_code == 200, changed.json
    assert (changed.json["confirm_address"], changed.json["confirm_hours"]) == (True, 6)
    with app.app_context():
        assert db.session.scalars(db.select(Event.confirm_address)).one() is True

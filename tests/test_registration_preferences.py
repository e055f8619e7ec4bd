"""The registration form of an event in preferences mode: ranking themes, pending until the
allocation, then seated by `eventapp allocation run`."""

from __future__ import annotations

import json
import re

import pytest
from factories import make_event, workshops
from helpers import visible_text
from regutil import form_fields, outbox, person, registration_count, reset_rate_limits, token_of
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.registration.rules import seats_taken

SLUG = "journee-ouverte"


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def rounds(app) -> list[list[int]]:
    with app.app_context():
        event = make_event(workshop_capacity=1)
        event.allocation_mode = "preferences"
        db.session.commit()
        found = workshops(event)
        db.session.remove()
    return found


def _post(client, ranks: dict[str, str], data: dict | None = None):
    page = client.get(f"/events/{SLUG}/register")
    assert page.status_code == 200
    payload = form_fields(page.text) | (data if data is not None else person()) | ranks
    return client.post(f"/events/{SLUG}/register", data=payload)


def test_the_form_asks_a_ranking_instead_of_workshops(client, rounds) -> None:
    page = client.get(f"/events/{SLUG}/register")
    assert 'name="workshop' not in page.text
    for n in (1, 2, 3):
        assert f'<select name="rank_{n}" id="rank_{n}"' in page.text
        assert f'<label for="rank_{n}">Choix n° {n}</label>' in page.text
    assert 'name="rank_4"' not in page.text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', page.text)
    assert ("1", "Thème numéro 1") in options and ("3", "Thème numéro 3") in options


def test_a_ranking_is_stored_pending_and_shown_on_the_participant_page(app, client, rounds):
    answer = _post(client, {"rank_1": "2", "rank_2": "3", "rank_3": "1"})
    assert answer.status_code == 303
    token = token_of(answer.headers["Location"])
    page = client.get(f"/r/{token}/")
    assert 'data-status="pending"' in page.text
    text = visible_text(page.text)
    assert "Vos souhaits sont enregistrés." in text
    ranked = re.findall(r'<li data-theme="(\d+)"', page.text)
    assert ranked == ["2", "3", "1"]
    assert "Changer d'ateliers" not in text

    export = json.loads(client.get(f"/r/{token}/export.json").data)
    assert export["status"] == "pending"
    assert export["preferences"] == ["2", "3", "1"]
    assert export["choices"] == []
    # No seat counted: the event's and the workshops' seats are untouched.
    with app.app_context():
        taken = seats_taken(db.session.scalar(select(Event.id)))
        assert taken.event == 0 and taken.items == {}
        assert db.session.scalar(select(Registration)).choices == []
    assert [m.kind for m in outbox(app)] == ["pending"]


@pytest.mark.parametrize(
    ("ranks", "field", "message"),
    [
        ({"rank_1": "1", "rank_2": "2"}, "rank_3", "Choisissez un thème pour ce rang."),
        ({"rank_1": "1", "rank_2": "1", "rank_3": "2"}, "rank_2", "déjà classé ce thème"),
        ({"rank_1": "1", "rank_2": "9", "rank_3": "2"}, "rank_2", "Ce thème n'est pas proposé."),
        (
            {"rank_1": "1", "rank_2": "2", "rank_3": "3", "rank_4": "1"},
            "rank_4",
            "Seuls les 3 premiers rangs sont demandés.",
        ),
    ],
)
def test_a_faulty_ranking_is_refused_beside_the_field_and_nothing_is_stored(
    app, client, rounds, ranks, field, message
) -> None:
    answer = _post(client, ranks)
    assert answer.status_code == 400
    assert message in answer.text
    if field != "rank_4":
        error = re.search(
            rf'<p class="field-error" id="{field}-error" role="alert">([^<]*)<', answer.text
        )
        assert error and message in error.group(1)
        assert f'aria-describedby="{field}-error"' in answer.text
    assert registration_count(app) == 0
    assert outbox(app) == []


def test_only_k_ranks_are_asked_when_the_event_says_so(app, client, rounds) -> None:
    with app.app_context():
        db.session.execute(db.update(Event).values(ranks_asked=2))
        db.session.commit()
    page = client.get(f"/events/{SLUG}/register")
    assert 'name="rank_2"' in page.text and 'name="rank_3"' not in page.text
    refused = _post(client, {"rank_1": "1", "rank_2": "2", "rank_3": "3"})
    assert refused.status_code == 400 and registration_count(app) == 0
    answer = _post(client, {"rank_1": "3", "rank_2": "1"})
    assert answer.status_code == 303


def test_registered_by_the_form_then_seated_by_the_allocation(app, client, rounds) -> None:
    tokens = []
    for n, ranking in enumerate([("1", "2", "3"), ("1", "2", "3"), ("2", "1", "3")]):
        answer = _post(
            client,
            {f"rank_{r}": key for r, key in enumerate(ranking, 1)},
            person(email=f"p{n}@example.org"),
        )
        assert answer.status_code == 303
        tokens.append(token_of(answer.headers["Location"]))
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG])
    assert result.exit_code == 0, result.output
    seen = set()
    for token in tokens:
        export = json.loads(client.get(f"/r/{token}/export.json").data)
        assert export["status"] == "confirmed"
        assert len(export["choices"]) == 2
        themes = [choice["theme"] for choice in export["choices"]]
        assert len(set(themes)) == 2
        seen.update(choice["item_id"] for choice in export["choices"])
        assert 'data-status="confirmed"' in client.get(f"/r/{token}/").text
    assert seen == set(rounds[0] + rounds[1])  # one seat each, every seat taken once
    kinds = [m.kind for m in outbox(app)]
    assert kinds.count("pending") == 3 and kinds.count("confirmed") == 3


def test_a_pending_person_who_cancels_and_comes_back_waits_again(app, client, rounds) -> None:
    answer = _post(client, {"rank_1": "1", "rank_2": "2", "rank_3": "3"})
    token = token_of(answer.headers["Location"])
    page = client.get(f"/r/{token}/cancel")
    client.post(f"/r/{token}/cancel", data=form_fields(page.text))
    assert 'data-status="cancelled"' in client.get(f"/r/{token}/").text
    page = client.get(f"/r/{token}/")
    client.post(f"/r/{token}/reactivate", data=form_fields(page.text))
    again = client.get(f"/r/{token}/")
    assert 'data-status="pending"' in again.text
    assert re.findall(r'<li data-theme="(\d+)"', again.text) == ["1", "2", "3"]


def _allocate_three(app, client) -> None:
    for n, ranking in enumerate([("1", "2", "3"), ("2", "3", "1")]):
        ranks = {f"rank_{r}": key for r, key in enumerate(ranking, 1)}
        assert _post(client, ranks, person(email=f"p{n}@example.org")).status_code == 303
    assert app.test_cli_runner().invoke(args=["allocation", "run", SLUG]).exit_code == 0


def test_after_an_allocation_a_latecomer_is_seated_at_once_by_their_ranking(
    app, client, rounds
) -> None:
    _allocate_three(app, client)  # two people seated: one seat left a round, one theme
    answer = _post(client, {"rank_1": "1", "rank_2": "2", "rank_3": "3"})
    token = token_of(answer.headers["Location"])
    export = json.loads(client.get(f"/r/{token}/export.json").data)
    assert export["status"] == "confirmed"
    assert export["preferences"] == ["1", "2", "3"]
    themes = [choice["theme"] for choice in export["choices"]]
    assert len(themes) == 2 and len(set(themes)) == 2
    # The last one finds no seat: waitlisted, to be promoted by their ranking.
    late = _post(client, {"rank_1": "3", "rank_2": "2", "rank_3": "1"}, person(email="z@x.org"))
    export = json.loads(client.get(f"/r/{token_of(late.headers['Location'])}/export.json").data)
    assert export["status"] == "waitlisted" and export["choices"] == []


def test_after_an_allocation_a_latecomer_waits_for_the_next_run_when_the_event_says_so(
    app, client, rounds
) -> None:
    with app.app_context():
        db.session.execute(db.update(Event).values(after_allocation="pending"))
        db.session.commit()
    _allocate_three(app, client)
    answer = _post(client, {"rank_1": "1", "rank_2": "2", "rank_3": "3"})
    token = token_of(answer.headers["Location"])
    assert 'data-status="pending"' in client.get(f"/r/{token}/").text

"""The allocation's figures count people too: how many got their 1st choice, how many have
every workshop within their top choices, beside the seats given at each rank."""

from __future__ import annotations

import html
import re

from helpers import csrf_token
from test_admin_allocation import _event as _managed_event
from test_admin_support import login
from test_allocation_run import SLUG, _event, _pending

from eventapp.allocation import Allocation, Problem, Registrant, Workshop
from eventapp.allocation.figures import people_figures
from eventapp.extensions import db
from eventapp.models import Event


def test_people_figures_count_first_choices_top_choices_and_unranked() -> None:
    rounds = [
        [Workshop(1, "a"), Workshop(2, "b"), Workshop(3, "c")],
        [Workshop(4, "a"), Workshop(5, "b"), Workshop(6, "c")],
    ]
    people = [
        Registrant(10, 0, ("a", "b")),  # a then b: ranks 1, 2
        Registrant(11, 1, ("a", "b")),  # c then a: ranks 3 (unranked, k = 2), 1
        Registrant(12, 2, ("b", "a")),  # a then b: ranks 2, 1
        Registrant(13, 3, ("c", "b")),  # waiting
    ]
    problem = Problem.build(rounds, people, k=2)
    assignment = {10: (1, 5), 11: (3, 4), 12: (1, 5)}
    allocation = Allocation(assignment, (13,), 0, {}, None, {}, "optimal", 0.0, 0.0)
    found = people_figures(problem, allocation)
    assert found.seated == 3
    assert found.first_choice == 3
    assert found.within == {2: 2}  # everyone but 11 within their 2 first choices
    assert found.outside == 1


def test_the_dry_run_counts_people_per_choice_for_both_ways(app) -> None:
    _event(app, rounds=1, workshop_capacity=1)
    _pending(app, [["1", "2", "3"], ["1", "3", "2"], ["3", "1", "2"]])
    result = app.test_cli_runner().invoke(args=["allocation", "run", SLUG, "--dry-run"])
    assert result.exit_code == 0, result.output
    optimal, first_come = result.output.split("Premier arrivé, premier servi")
    # Optimal: Personne0 takes theme 2 so that the others have their 1st choice.
    assert "2 sur 3 ont obtenu leur 1er choix" in optimal
    assert "3 sur 3 ont tous leurs ateliers parmi leurs 2 premiers choix" in optimal
    # First come: Personne0 takes theme 1, Personne2 ends in her 3rd choice.
    assert "1 sur 3 ont obtenu leur 1er choix" in first_come
    assert "2 sur 3 ont tous leurs ateliers parmi leurs 2 premiers choix" in first_come
    assert "3 sur 3 ont tous leurs ateliers parmi leurs 3 premiers choix" in first_come


def test_the_organiser_page_shows_people_per_choice(app, client) -> None:
    event_id = _managed_event(app)  # two rounds of three themes, one seat each
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="preferences"))
        db.session.commit()
    _pending(app, [["1", "2", "3"], ["2", "3", "1"], ["3", "1", "2"]])
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/allocation")
    optimal = re.search(r'data-allocation="optimal">(.*?)</section>', page.text, re.S).group(1)
    # Everyone can have their two first choices: 3 people, each 1st choice in some round.
    assert 'data-people-first="3"' in optimal
    assert 'data-people-within="2" data-count="3"' in optimal
    assert "3 sur 3 ont tous leurs ateliers parmi leurs 2 premiers choix" in html.unescape(optimal)
    assert csrf_token(page.text)

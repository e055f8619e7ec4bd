"""A big event's registrations list comes fifty people a page, filters kept across pages."""

from __future__ import annotations

import re

from helpers import visible_text
from sqlalchemy import select
from test_admin_support import PASSWORD, create_organiser, login

from bench.make_large_event import make_large_event
from eventapp.extensions import db
from eventapp.models import Event


def test_the_list_is_paginated_with_its_filters(app, client, ctx) -> None:
    create_organiser("orga@example.org", PASSWORD, is_admin=True)
    make_large_event("grand", days=1, rooms=2, items=4, speakers=4, registrations=120)
    event_id = db.session.scalars(select(Event.id)).one()
    login(client, "orga@example.org")
    url = f"/admin/events/{event_id}/registrations"

    first = client.get(url).text
    assert len(re.findall(r'<tr id="reg-', first)) == 50
    assert "Page 1 sur 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get(url + "?page=3").text
    assert len(re.findall(r'<tr id="reg-', last)) == 20
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert len(re.findall(r'<tr id="reg-', client.get(url + "?page=99").text)) == 20

    waiting = client.get(url + "?status=waitlisted").text  # 12 people: one page
    assert len(re.findall(r'<tr id="reg-', waiting)) == 12 and "Page 1 sur" not in waiting
    searched = client.get(url + "?q=Nom000&page=2").text  # Nom00000 … Nom00099
    assert "Page 2 sur 2" in searched
    previous = re.search(r'<a rel="prev" href="([^"]+)"', searched).group(1)
    assert "q=Nom000" in previous and "page=1" in previous


def test_a_page_of_the_list_carries_no_form_per_person(app, client, ctx) -> None:
    """Fifty rows of a programme with many rounds: the rows name each person, their status
    and their workshops, and link to the person's page; no move select, no option list
    that grows with the rows (the filters' selects are the only ones)."""
    create_organiser("orga@example.org", PASSWORD, is_admin=True)
    make_large_event("grand", days=1, rooms=4, items=24, speakers=4, registrations=120)
    event_id = db.session.scalars(select(Event.id)).one()
    login(client, "orga@example.org")
    url = f"/admin/events/{event_id}/registrations"

    def options(html: str) -> int:
        return len(re.findall(r"<option\b", html))

    full = client.get(url).text  # 50 rows
    few = client.get(url + "?q=Nom0000").text  # Nom00000 … Nom00009: 10 rows
    assert len(re.findall(r'<tr id="reg-', full)) == 50
    assert len(re.findall(r'<tr id="reg-', few)) == 10
    assert options(full) == options(few)
    table = full.split('class="data registrations"')[1].split("</table>")[0]
    assert "<select" not in table and "<form" not in table and "<option" not in table
    assert 'name="workshop_' not in full

    first = full.split('<tr id="reg-')[1].split("</tr>")[0]
    text = visible_text("<tr " + first)
    assert "Nom00000" in text and re.search(r'data-status="(confirmed|waitlisted)"', first)
    assert "Atelier" in text, "the person's workshops are named on the row"
    registration_id = first.split('"')[0]
    link = f"/admin/events/{event_id}/registrations/{registration_id}?back="
    assert link in first

"""A big event's registrations list comes fifty people a page, filters kept across pages."""

from __future__ import annotations

import re

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

"""The personal agenda /r/<token>/calendar.ics: one's own workshops, nobody else's data."""

from __future__ import annotations

import re

from calendars import icaljs, read_vobject
from factories import make_event, workshops
from helpers import visible_text

from eventapp.registration import Applicant, cancel, erase, register


def _two_people(app):
    with app.app_context():
        event = make_event(rounds=2, themes=3)
        rounds = workshops(event)
        items = {item.id: item for item in event.items}
        mine = register(
            event,
            Applicant("Zoé", "Dupont, fils; ainé", "zoe@example.org", "ASBL Soleil"),
            [items[rounds[0][0]], items[rounds[1][2]]],
        ).registration
        other = register(
            event,
            Applicant("Marc", "Secret", "marc.secret@example.org", "Autre organisation"),
            [items[rounds[0][1]], items[rounds[1][1]]],
        ).registration
        return {
            "slug": event.slug,
            "token": mine.token,
            "other": other.token,
            "mine": [items[rounds[0][0]].title, items[rounds[1][2]].title],
            "theirs": [items[rounds[0][1]].title, items[rounds[1][1]].title],
        }


def test_the_feed_holds_plenaries_and_own_workshops_only(app, client) -> None:
    people = _two_people(app)
    response = client.get(f"/r/{people['token']}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    parsed = icaljs(response.data)
    assert sorted(e["summary"] for e in parsed["events"]) == sorted(["Ouverture", *people["mine"]])
    assert {e["status"] for e in parsed["events"]} == {"CONFIRMED"}
    assert parsed["name"] == "Journée ouverte — Zoé Dupont, fils; ainé"
    assert parsed["method"] is None
    vcal = read_vobject(response.data)
    assert len(vcal.vevent_list) == 3
    text = response.data.decode()
    for secret in ("Marc", "marc.secret", "Autre organisation", *people["theirs"]):
        assert secret not in text
    assert "zoe@example.org" not in text  # no scheduling properties in a feed
    # same UIDs as the whole programme
    programme = {
        e["uid"]
        for e in icaljs(client.get(f"/events/{people['slug']}/calendar.ics").data)["events"]
    }
    assert {e["uid"] for e in parsed["events"]} <= programme


def test_unknown_or_malformed_tokens_are_404(app, client) -> None:
    people = _two_people(app)
    token = people["token"]
    for bad in ("x" * 32, token[:-1] + ("A" if token[-1] != "A" else "B"), "short", "%00" * 12):
        assert client.get(f"/r/{bad}/calendar.ics").status_code == 404


def test_a_client_echoing_the_etag_gets_304(app, client) -> None:
    people = _two_people(app)
    url = f"/r/{people['token']}/calendar.ics"
    first = client.get(url)
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["ETag"])
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/r/{people['other']}/calendar.ics")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_a_cancelled_registration_keeps_its_feed_all_cancelled(app, client) -> None:
    people = _two_people(app)
    url = f"/r/{people['token']}/calendar.ics"
    before = client.get(url)
    with app.app_context():
        from eventapp.registration import find_by_token

        cancel(find_by_token(people["token"]))
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "a changed feed is sent again, not 304 nor 404"
    parsed = icaljs(after.data)
    assert len(parsed["events"]) == 3
    assert {e["status"] for e in parsed["events"]} == {"CANCELLED"}
    assert {v.status.value for v in read_vobject(after.data).vevent_list} == {"CANCELLED"}


def test_an_erased_registration_has_no_feed(app, client) -> None:
    people = _two_people(app)
    with app.app_context():
        from eventapp.registration import find_by_token

        erase(find_by_token(people["token"]))
    assert client.get(f"/r/{people['token']}/calendar.ics").status_code == 404


def test_the_participant_page_links_the_feed_and_webcal(app, client) -> None:
    people = _two_people(app)
    page = client.get(f"/r/{people['token']}/")
    feed = f"http://localhost/r/{people['token']}/calendar.ics"
    assert f'href="webcal://localhost/r/{people["token"]}/calendar.ics"' in page.text
    assert f'href="/r/{people["token"]}/calendar.ics" download' in page.text
    assert "M'abonner à mon agenda" in visible_text(page.text)
    assert client.get(feed).status_code == 200

"""Public pages rendered once per version of what they show, and served from a cache: a change
made through one worker is what another serves on its next request; visitors get no cookie;
browsers and proxies may keep a page a few seconds and revalidate it with its ETag."""

from __future__ import annotations

import shutil
from io import BytesIO
from pathlib import Path

import pytest
from helpers import count_queries, csrf_token, visible_text
from pypdf import PdfReader
from sqlalchemy import select

from eventapp import create_app
from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Speaker

SLUG = "journee-reseau-2015"
EVENT_URL = f"/events/{SLUG}/"
PAGES = [
    EVENT_URL,
    f"/events/{SLUG}/speakers",
    f"/events/{SLUG}/calendar.ics",
    f"/events/{SLUG}/schedule.xml",
    f"/events/{SLUG}/schedule.json",
]


@pytest.fixture
def other(app, tmp_path: Path):
    """A second worker: its own application (its own page cache and exports folder), on the
    database of the first."""
    second = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret",
            "EXPORTS_DIR": str(tmp_path / "exports-2"),
            "OUTBOX_DIR": str(tmp_path / "outbox-2"),
        },
        instance_path=str(tmp_path / "instance-2"),
    )
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def _edit(app, change) -> None:
    with app.app_context():
        change()
        db.session.commit()
        db.session.remove()


def test_a_change_through_one_worker_is_served_by_the_other_at_once(app, other, demo) -> None:
    first, second = app.test_client(), other.test_client()
    before = {url: second.get(url).data for url in PAGES}  # the second worker keeps them
    assert all(second.get(url).data == body for url, body in before.items())
    new_title = "Atelier renommé par une organisatrice"
    assert all(new_title.encode() not in body for body in before.values())

    def rename() -> None:
        item = db.session.scalars(
            select(ProgrammeItem).where(ProgrammeItem.kind == "workshop").order_by("id")
        ).first()
        item.title = new_title

    _edit(app, rename)  # through the first worker
    after = {url: second.get(url) for url in PAGES}
    for url, answer in after.items():
        assert answer.status_code == 200
        assert new_title in answer.get_data(as_text=True), url
    assert first.get(EVENT_URL).data == after[EVENT_URL].data


def test_a_speakers_change_reaches_every_page_that_shows_them(app, other, demo) -> None:
    second = other.test_client()
    speakers_url = f"/events/{SLUG}/speakers"
    assert "psychologue en chef" not in second.get(speakers_url).text

    def promote() -> None:
        speaker = db.session.scalars(select(Speaker).where(Speaker.name == "Sylvia Lis")).one()
        speaker.role = "psychologue en chef"

    _edit(app, promote)
    assert "psychologue en chef" in visible_text(second.get(speakers_url).text)
    assert "psychologue en chef" in visible_text(second.get(EVENT_URL).text)


def test_the_compte_rendu_follows_a_change_made_through_another_worker(app, other, demo) -> None:
    """The PDF each worker serves is found once per version, then served for one query; a
    change through another worker gives the new document on the next download."""
    second = other.test_client()
    pdf_url = f"/events/{SLUG}/proceedings.pdf"
    before = second.get(pdf_url)
    assert before.status_code == 200 and before.data.startswith(b"%PDF-")
    with count_queries(other) as statements:
        again = second.get(pdf_url)
    assert again.data == before.data and len(statements) == 1, statements

    added = "Une phrase ajoutée depuis un autre poste."

    def summarise() -> None:
        item = db.session.scalars(
            select(ProgrammeItem).where(ProgrammeItem.title == "Introduction")
        ).one()
        item.summary_md = f"- {added}"

    _edit(app, summarise)  # through the first worker
    after = second.get(pdf_url)
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(BytesIO(after.data)).pages
    )
    assert added in text

    shutil.rmtree(other.config["EXPORTS_DIR"])  # an operator empties the exports folder
    assert second.get(pdf_url).data == after.data

    def withdraw() -> None:
        db.session.scalars(
            select(Event).where(Event.slug == SLUG)
        ).one().proceedings_published = False

    _edit(app, withdraw)
    assert second.get(pdf_url).status_code == 404


def test_an_unchanged_page_costs_one_query(app, client, demo) -> None:
    client.get(EVENT_URL)
    for url in PAGES:
        client.get(url)
        with count_queries(app) as statements:
            answer = client.get(url)
        assert answer.status_code == 200
        assert len(statements) == 1, (url, statements)


def test_each_language_has_its_own_page(client, demo) -> None:
    dutch = client.get(EVENT_URL, headers={"Accept-Language": "nl"})
    french = client.get(EVENT_URL, headers={"Accept-Language": "fr"})
    asked = client.get(EVENT_URL + "?lang=nl", headers={"Accept-Language": "fr"})
    assert '<html lang="nl">' in dutch.text and "dinsdag 1 december 2015" in dutch.text
    assert '<html lang="fr">' in french.text and "mardi 1 décembre 2015" in french.text
    assert '<html lang="nl">' in asked.text
    client.set_cookie("lang", "nl")
    assert '<html lang="nl">' in client.get(EVENT_URL).text


@pytest.mark.parametrize("url", [EVENT_URL, f"/events/{SLUG}/speakers", "/"])
def test_public_pages_set_no_cookie(client, demo, url) -> None:
    answer = client.get(url)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_pages_are_cacheable_for_a_few_seconds_and_revalidate(client, demo) -> None:
    page = client.get(EVENT_URL)
    assert page.cache_control.public and 0 < page.cache_control.max_age <= 60
    assert {"Cookie", "Accept-Language"} <= set(page.vary)
    etag = page.headers["ETag"]
    again = client.get(EVENT_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other_language = client.get(EVENT_URL + "?lang=nl", headers={"If-None-Match": etag})
    assert other_language.status_code == 200


def test_the_switch_works_from_a_cached_page_and_refuses_other_sites(client, demo) -> None:
    page = client.get(EVENT_URL)
    token = csrf_token(page.text)
    foreign = client.post(
        "/language",
        data={"lang": "nl", "next": EVENT_URL, "csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status_code == 400
    assert not any(c.startswith("lang=") for c in foreign.headers.getlist("Set-Cookie"))
    assert '<html lang="fr">' in client.get(EVENT_URL).text
    answer = client.post(
        "/language",
        data={"lang": "nl", "next": EVENT_URL, "csrf_token": token},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status_code == 303
    cookies = answer.headers.getlist("Set-Cookie")
    assert [c.split("=")[0] for c in cookies] == ["lang"]  # no session for the switch
    assert '<html lang="nl">' in client.get(EVENT_URL).text


def test_a_visitor_with_a_message_gets_it_on_a_page_of_their_own(app, client, demo) -> None:
    client.get(EVENT_URL)  # kept for everyone
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Votre inscription est annulée.")]
    page = client.get(EVENT_URL)
    assert "Votre inscription est annulée." in visible_text(page.text)
    assert "private" in page.headers["Cache-Control"]
    assert "Votre inscription est annulée." not in app.test_client().get(EVENT_URL).text


def test_an_unpublished_event_is_no_longer_served(app, other, demo) -> None:
    second = other.test_client()
    assert second.get(EVENT_URL).status_code == 200

    def unpublish() -> None:
        db.session.scalars(select(Event).where(Event.slug == SLUG)).one().status = "draft"

    _edit(app, unpublish)
    assert second.get(EVENT_URL).status_code == 404
    assert second.get(f"/events/{SLUG}/calendar.ics").status_code == 404


def _seats(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'value="(\d+)"\s+data-seats-left="([^"]+)"', html))


def test_the_form_shows_seats_taken_through_another_worker_at_once(app, other) -> None:
    from factories import make_event, workshops
    from regutil import post_registration, reset_rate_limits

    with app.app_context():
        event = make_event("ouverte", workshop_capacity=2)
        picks = [ids[n % len(ids)] for n, ids in enumerate(workshops(event))]
        db.session.remove()
    second = other.test_client()
    url = "/events/ouverte/register"
    before = _seats(second.get(url).text)
    assert before[str(picks[0])] == "2"
    reset_rate_limits()
    answer = post_registration(app.test_client(), "ouverte", picks)  # through the first
    assert answer.status_code == 303
    after = _seats(second.get(url).text)
    assert after[str(picks[0])] == "1" and after[str(picks[1])] == "1"
    assert {k: v for k, v in after.items() if int(k) not in picks} == {
        k: v for k, v in before.items() if int(k) not in picks
    }

    def rename() -> None:
        item = db.session.get(ProgrammeItem, picks[0])
        item.title = "Atelier au titre neuf"

    _edit(app, rename)
    assert "Atelier au titre neuf" in second.get(url).text
    # Warm, the form reads the event with its version and the seats taken: no programme.
    with count_queries(other) as statements:
        assert second.get(url).status_code == 200
    assert len(statements) == 2, statements


def test_a_kept_form_still_gives_each_visitor_their_own_token(app) -> None:
    from factories import make_event, workshops
    from regutil import form_fields, person, reset_rate_limits

    with app.app_context():
        event = make_event("ouverte", workshop_capacity=5)
        picks = [ids[n % len(ids)] for n, ids in enumerate(workshops(event))]
        db.session.remove()
    ana, bob = app.test_client(), app.test_client()
    pages = [client.get("/events/ouverte/register") for client in (ana, bob)]
    fields = [form_fields(page.text) for page in pages]
    assert fields[0]["csrf_token"] != fields[1]["csrf_token"]
    assert fields[0]["submission"] != fields[1]["submission"]
    assert all("visitor" not in page.text for page in pages)  # no stand-in left
    reset_rate_limits()
    choices = {f"workshop_{n}": str(item) for n, item in enumerate(picks, 1)}
    stolen = fields[0] | person("bob@example.org") | choices
    assert bob.post("/events/ouverte/register", data=stolen).status_code == 400
    for client, own, email in ((ana, fields[0], "ana@example.org"), (bob, fields[1], "b@x.org")):
        answer = client.post("/events/ouverte/register", data=own | person(email) | choices)
        assert answer.status_code == 303
    assert _seats(ana.get("/events/ouverte/register").text)[str(picks[0])] == "3"

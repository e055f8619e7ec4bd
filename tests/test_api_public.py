"""The public JSON API: events, programme and speakers, with problem documents for errors."""

from __future__ import annotations

from datetime import datetime

from eventapp.demo.data import SPEAKERS

EVENT = "/api/v1/events/journee-reseau-2015"


def test_events_are_listed_with_pagination(client, demo) -> None:
    answer = client.get("/api/v1/events?page_size=10")
    assert answer.status_code == 200
    assert answer.get_json()[0]["slug"] == "journee-reseau-2015"
    assert '"total": 1' in answer.headers["X-Pagination"]
    assert client.get("/api/v1/events?page=2").get_json() == []


def test_event_with_programme_in_local_time(client, demo) -> None:
    body = client.get(EVENT).get_json()
    assert body["title"] == "Journée réseau « Les enfants d'abord »"
    assert body["timezone"] == "Europe/Brussels"
    workshops = [item for item in body["items"] if item["kind"] == "workshop"]
    assert len(workshops) == 8
    assert {item["block"] for item in workshops[:4]} == {workshops[0]["block"]}
    start = datetime.fromisoformat(workshops[0]["start"])
    assert (start.hour, start.utcoffset().total_seconds()) == (13, 3600)
    assert workshops[0]["speakers"][0]["organisation"] == "CPAS de Gembloux"
    assert [theme["number"] for theme in body["themes"]] == [1, 2, 3, 4]


def test_speakers(client, demo) -> None:
    names = {speaker["name"] for speaker in client.get(EVENT + "/speakers").get_json()}
    assert names == set(SPEAKERS)


def test_reads_carry_an_etag_and_answer_304(client, demo) -> None:
    first = client.get(EVENT)
    assert first.headers["ETag"]
    assert client.get(EVENT, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_errors_are_problem_documents(client, demo) -> None:
    missing = client.get("/api/v1/events/nope")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert missing.get_json()["status"] == 404
    assert "nope" in missing.get_json()["detail"]
    wrong = client.get("/api/v1/events?page=zero")
    assert wrong.status_code == 422
    assert wrong.mimetype == "application/problem+json"
    assert "page" in wrong.get_json()["errors"]
    assert client.get("/api/v1/nothing-here").mimetype == "application/problem+json"


def test_openapi_document_and_docs_page_are_served_locally(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/events/{slug}" in spec["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/openapi.json" in page.text
    assert "http" not in page.text.split("<body>")[0]  # no CDN
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_seats_left_per_workshop_follow_registrations(client, ctx) -> None:
    from factories import make_event, workshops

    from eventapp.models import Event
    from eventapp.registration import Applicant, register

    event = make_event("places", workshop_capacity=2, event_capacity=10)
    rounds = workshops(event)
    register(
        event,
        Applicant("Ana", "López", "ana@example.org", "CPAS", "", "fr"),
        [event_item for event_item in event.items if event_item.id in (rounds[0][0], rounds[1][1])],
    )
    body = client.get("/api/v1/events/places").get_json()
    left = {item["id"]: item["seats_left"] for item in body["items"]}
    assert left[rounds[0][0]] == 1 and left[rounds[1][1]] == 1
    assert left[rounds[0][1]] == 2
    assert body["seats_left"] == 9
    plenary = next(item for item in body["items"] if item["kind"] == "plenary")
    assert plenary["seats_left"] is None
    assert Event.query.count() == 1

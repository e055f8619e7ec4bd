"""The upcoming demo day: `eventapp demo` loads a copy of the 2015 day, dated on a Tuesday at
least 30 days away, open for registration; it stays put until its day has passed, then moves
forward again with its registrations, whose calendars follow (SEQUENCE up)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from helpers import visible_text
from regutil import outbox, post_registration, reset_rate_limits, token_of
from sqlalchemy import select

from eventapp.demo import DEMO_SLUG, UPCOMING_SLUG, upcoming_day
from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.programme import choice_blocks, event_by_slug

FIRST_LOAD = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # a Saturday


def _demo(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _shape(event: Event) -> list[tuple]:
    """The programme as a participant reads it, without its date."""
    return [
        (
            item.kind,
            item.title,
            event.local(item.starts_at).time(),
            event.local(item.ends_at).time(),
            item.room.name if item.room else None,
            item.room.capacity if item.room else None,
            item.theme.number if item.theme else None,
            item.capacity,
            [(link.speaker.name, link.credit) for link in item.speaker_links],
        )
        for item in event.items
    ]


def test_upcoming_day_is_a_tuesday_at_least_30_days_away() -> None:
    for offset in range(14):
        today = date(2026, 12, 1) + timedelta(days=offset)
        day = upcoming_day(today)
        assert day.weekday() == 1, day
        assert 30 <= (day - today).days < 37, (today, day)


def test_demo_loads_an_upcoming_copy_open_for_registration(app, ctx) -> None:
    with time_machine.travel(FIRST_LOAD, tick=False):
        output = _demo(app)
    assert "« journee-reseau-a-venir » chargé, le mardi 5 janvier 2027" in output
    past, upcoming = event_by_slug(DEMO_SLUG), event_by_slug(UPCOMING_SLUG)
    assert upcoming.local(upcoming.starts_at).date() == date(2027, 1, 5)
    assert upcoming.is_published and upcoming.registration_open
    assert not upcoming.proceedings_published
    assert upcoming.capacity == past.capacity
    assert [(r.name, r.capacity) for r in upcoming.rooms] == [
        (r.name, r.capacity) for r in past.rooms
    ]
    assert [t.title for t in upcoming.themes] == [t.title for t in past.themes]
    assert _shape(upcoming) == _shape(past)
    # The same speakers, not copies of them.
    assert {s.id for i in upcoming.items for s in i.speakers} == {
        s.id for i in past.items for s in i.speakers
    }
    assert len(choice_blocks(upcoming)) == 2


def test_the_public_pages_offer_it_first_and_its_form_is_open(app, client) -> None:
    with time_machine.travel(FIRST_LOAD, tick=False):
        _demo(app)
    home = visible_text(client.get("/").text)
    assert home.index("mardi 5 janvier 2027") < home.index("1 décembre 2015")
    page = client.get(f"/events/{UPCOMING_SLUG}/register")
    assert page.status_code == 200
    assert page.text.count('name="workshop_') == 8  # two rounds of four themes
    assert 'data-seats-left="30"' in page.text
    assert client.get(f"/events/{UPCOMING_SLUG}/proceedings.pdf").status_code == 404


def test_running_demo_again_changes_nothing_before_the_day(app, ctx) -> None:
    with time_machine.travel(FIRST_LOAD, tick=False):
        _demo(app)
    stamp = event_by_slug(UPCOMING_SLUG).updated_at
    db.session.remove()
    with time_machine.travel(datetime(2027, 1, 5, 7, 0, tzinfo=UTC), tick=False):
        output = _demo(app)
    assert "« journee-reseau-a-venir » (le mardi 5 janvier 2027) est déjà là ; rien n'a changé" in (
        output
    )
    event = event_by_slug(UPCOMING_SLUG)
    assert event.updated_at == stamp
    assert {item.sequence for item in event.items} == {0}
    assert len(db.session.scalars(select(Event)).all()) == 2


def test_once_past_it_moves_forward_keeping_registrations_and_calendars(app, client) -> None:
    with time_machine.travel(FIRST_LOAD, tick=False):
        _demo(app)
        with app.app_context():
            blocks = choice_blocks(event_by_slug(UPCOMING_SLUG))
            picks = [blocks[0].items[0].id, blocks[1].items[1].id]
        reset_rate_limits()
        answer = post_registration(client, UPCOMING_SLUG, picks)
        assert answer.status_code == 303
        token = token_of(answer.headers["Location"])
        before = client.get(f"/r/{token}/calendar.ics").text
        assert "DTSTART;TZID=Europe/Brussels:20270105T093000" in before
        assert "SEQUENCE:0" in before

    later = datetime(2027, 1, 6, 10, 0, tzinfo=UTC)  # the day after
    with time_machine.travel(later, tick=False):
        output = _demo(app)
        assert "« journee-reseau-a-venir » déplacé au mardi 9 février 2027" in output
        with app.app_context():
            event = event_by_slug(UPCOMING_SLUG)
            assert event.local(event.starts_at).date() == date(2027, 2, 9)
            assert event.local(event.starts_at).time().isoformat() == "08:45:00"
            assert {event.local(item.starts_at).date() for item in event.items} == {
                date(2027, 2, 9)
            }
            assert {item.sequence for item in event.items} == {1}
            registration = db.session.scalars(select(Registration)).one()
            assert [choice.item_id for choice in registration.choices] == picks
        updates = outbox(app, "update")
        assert len(updates) == 1 and updates[0].recipient == "ana.lopez@example.org"
        after = client.get(f"/r/{token}/calendar.ics").text
        assert "DTSTART;TZID=Europe/Brussels:20270209T093000" in after
        assert "20270105" not in after
        assert "SEQUENCE:1" in after and "SEQUENCE:0" not in after
        page = client.get(f"/r/{token}/")
        assert 'data-status="confirmed"' in page.text
        # Once moved, running it again changes nothing.
        again = _demo(app)
        assert "rien n'a changé" in again.splitlines()[-1]
        assert len(outbox(app, "update")) == 1

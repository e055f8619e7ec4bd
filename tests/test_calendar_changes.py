"""SEQUENCE grows with each change a calendar must see (time, place, title, speakers), once
per saved edit, and not for edits no calendar shows differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calendars import BASE_URL, icaljs

from eventapp.calendar import item_calendar
from eventapp.demo import DEMO_SLUG
from eventapp.extensions import db
from eventapp.models import ItemKind, ItemSpeaker, ProgrammeItem, Speaker
from eventapp.programme import event_by_slug


def _workshop() -> ProgrammeItem:
    event = event_by_slug(DEMO_SLUG)
    workshops = [item for item in event.items if item.kind == ItemKind.WORKSHOP]
    return max(workshops, key=lambda item: len(item.speakers))  # the one with most speakers


def _sequence(item_id: int) -> int:
    db.session.expire_all()
    return db.session.get(ProgrammeItem, item_id).sequence


def test_new_items_start_at_zero(ctx, demo) -> None:
    assert {item.sequence for item in event_by_slug(DEMO_SLUG).items} == {0}


def test_each_real_change_bumps_sequence_once(ctx, demo) -> None:
    item = _workshop()
    item_id = item.id
    item.starts_at += timedelta(minutes=30)
    item.ends_at += timedelta(minutes=30)
    item.title = item.title + " (nouvelle formule)"
    db.session.commit()
    assert _sequence(item_id) == 1

    item = db.session.get(ProgrammeItem, item_id)
    event = item.event
    item.room = next(room for room in event.rooms if room is not item.room)
    db.session.commit()
    assert _sequence(item_id) == 2

    item = db.session.get(ProgrammeItem, item_id)
    item.cancelled_at = datetime(2015, 11, 30, tzinfo=UTC)
    db.session.commit()
    assert _sequence(item_id) == 3
    (vevent,) = icaljs(item_calendar(item.event, item, BASE_URL))["events"]
    assert (vevent["sequence"], vevent["status"]) == (3, "CANCELLED")


def test_edits_no_calendar_needs_leave_sequence_alone(ctx, demo) -> None:
    item = _workshop()
    item_id = item.id
    item.summary_md = "Compte-rendu mis à jour."
    item.capacity = 12
    item.starts_at = item.starts_at.astimezone(item.event.tz)  # same instant, other zone
    item.title = str(item.title)
    db.session.commit()
    assert _sequence(item_id) == 0


def test_speaker_changes_bump_sequence(ctx, demo) -> None:
    item = _workshop()
    item_id = item.id
    item.speaker_links.append(
        ItemSpeaker(speaker=Speaker(name="Nouvelle Intervenante"), position=len(item.speakers))
    )
    db.session.commit()
    assert _sequence(item_id) == 1

    item = db.session.get(ProgrammeItem, item_id)
    db.session.delete(item.speaker_links[0])
    db.session.commit()
    assert _sequence(item_id) == 2

    # Speakers in another order: the DESCRIPTION lists them differently.
    item = db.session.get(ProgrammeItem, item_id)
    first, second = item.speaker_links[:2]
    first.position, second.position = second.position, first.position
    db.session.commit()
    assert _sequence(item_id) == 3

    # The same links given again, as a form rebuilding the list may do: no change.
    item = db.session.get(ProgrammeItem, item_id)
    item.speaker_links = list(item.speaker_links)
    item.speaker_links[0].credit = "Autrement dit"
    db.session.commit()
    assert _sequence(item_id) == 3


def test_renaming_a_speaker_or_a_room_or_moving_the_venue_bumps_their_items(ctx, demo) -> None:
    item = _workshop()
    item_id = item.id
    others = [other.id for other in item.event.items if other.id != item_id]
    item.speakers[0].name = "Ilse Baeck-Janssens"
    db.session.commit()
    assert _sequence(item_id) == 1

    item = db.session.get(ProgrammeItem, item_id)
    item.room.name = "Salle D (rez-de-chaussée)"
    db.session.commit()
    assert _sequence(item_id) == 2

    item = db.session.get(ProgrammeItem, item_id)
    item.event.venue_address = "Rue Royale 1, 1000 Bruxelles"
    db.session.commit()
    assert _sequence(item_id) == 3
    assert all(_sequence(other) >= 1 for other in others)

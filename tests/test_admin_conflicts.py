"""Programme conflicts: one domain function, a test for each case, and what it blocks."""

from __future__ import annotations

from helpers import visible_text
from test_admin_support import accounts_fixture, at, build_event, login, post  # noqa: F401

from eventapp.admin.conflicts import (
    CAPACITY_ABOVE_ROOM,
    END_BEFORE_START,
    OUTSIDE_EVENT,
    ROOM_OVERLAP,
    SPEAKER_OVERLAP,
    overlapping_pairs,
    programme_conflicts,
)
from eventapp.admin.events import PublicationRefused, publish
from eventapp.extensions import db
from eventapp.models import Event, EventStatus, ItemSpeaker, Speaker


def _event(app, accounts) -> Event:
    return db.session.get(Event, build_event(accounts["alice"]))


def _types(event: Event) -> list[str]:
    return [conflict.type for conflict in programme_conflicts(event)]


def test_a_clean_programme_has_no_conflict(app, ctx, accounts) -> None:
    assert programme_conflicts(_event(app, accounts)) == []


def test_a_speaker_in_two_overlapping_items(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    ada = db.session.scalars(db.select(Speaker).where(Speaker.name == "Ada Lovelace")).one()
    second = event.items[2]
    second.speaker_links.append(ItemSpeaker(speaker=ada, position=1))
    db.session.commit()
    conflicts = programme_conflicts(event)
    assert [c.type for c in conflicts] == [SPEAKER_OVERLAP]
    conflict = conflicts[0]
    assert conflict.message == (
        "Ada Lovelace intervient en même temps dans « Atelier un » et « Atelier deux »."
    )
    assert set(conflict.item_ids) == {event.items[1].id, second.id}
    assert conflict.link == f"#item-{second.id}"


def test_two_items_in_one_room_at_once(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    event.items[2].room = event.rooms[0]
    event.items[1].capacity = 20
    db.session.commit()
    conflicts = programme_conflicts(event)
    assert [c.type for c in conflicts] == [ROOM_OVERLAP]
    assert "dans la salle Auditorium" in conflicts[0].message
    # Back to back is not an overlap.
    event.items[2].starts_at = at("2030-05-10", "15:30")
    event.items[2].ends_at = at("2030-05-10", "16:30")
    assert programme_conflicts(event) == []


def test_an_item_outside_the_event_days(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    opening = event.items[0]
    opening.starts_at = at("2030-05-11", "09:00")
    opening.ends_at = at("2030-05-11", "10:00")
    db.session.commit()
    conflicts = programme_conflicts(event)
    assert [c.type for c in conflicts] == [OUTSIDE_EVENT]
    assert conflicts[0].message == "« Ouverture » a lieu en dehors des jours de l'événement."
    # Late in the evening of the event's own day is still within its days.
    opening.starts_at = at("2030-05-10", "20:00")
    opening.ends_at = at("2030-05-10", "21:00")
    assert programme_conflicts(event) == []


def test_a_workshop_capacity_above_its_rooms(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    event.items[2].capacity = 25  # Salle A holds 20
    db.session.commit()
    conflicts = programme_conflicts(event)
    assert [c.type for c in conflicts] == [CAPACITY_ABOVE_ROOM]
    assert conflicts[0].message == (
        "« Atelier deux » accepte 25 personnes mais la salle Salle A n'en contient que 20."
    )


def test_an_end_before_its_start(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    item = event.items[0]
    item.ends_at = at("2030-05-10", "08:30")
    db.session.commit()
    conflicts = programme_conflicts(event)
    assert [c.type for c in conflicts] == [END_BEFORE_START]
    assert conflicts[0].item_ids == (item.id,)


def test_precomputed_overlaps_are_used_as_given(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    event.items[2].room = event.rooms[0]
    event.items[1].capacity = 20
    pairs = overlapping_pairs(event.items)
    assert [(a.title, b.title) for a, b in pairs] == [("Atelier un", "Atelier deux")]
    assert [c.type for c in programme_conflicts(event, overlaps=pairs)] == [ROOM_OVERLAP]
    # Bulk callers pass the overlaps they computed; none given means none checked.
    assert programme_conflicts(event, overlaps=[]) == []


def test_cancelled_items_do_not_conflict(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    event.items[2].room = event.rooms[0]
    event.items[1].capacity = 20
    event.items[2].cancelled_at = at("2030-05-01", "10:00")
    assert programme_conflicts(event) == []


def test_conflicts_block_publication_until_fixed(app, ctx, accounts) -> None:
    event = _event(app, accounts)
    event.items[2].capacity = 500
    db.session.commit()
    try:
        publish(event)
    except PublicationRefused as refused:
        assert [c.type for c in refused.conflicts] == [CAPACITY_ABOVE_ROOM]
    else:
        raise AssertionError("publication should have been refused")
    assert event.status == EventStatus.DRAFT
    event.items[2].capacity = 20
    publish(event)
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED


def test_conflicts_are_shown_beside_the_items_and_refuse_publication(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        event.items[2].room = event.rooms[0]
        event.items[1].capacity = 20
        second_id = event.items[2].id
        db.session.commit()
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/programme")
    card = page.text.split(f'id="item-{second_id}"')[1].split("</article>")[0]
    assert 'data-conflict="room_overlap"' in card
    assert "ont lieu en même temps dans la salle Auditorium" in visible_text(card)
    refused = post(client, f"/admin/events/{event_id}/publish")
    assert refused.status_code == 303
    overview = client.get(refused.headers["Location"])
    assert "Publication refusée : 1 conflit(s) à corriger dans le programme." in visible_text(
        overview.text
    )
    assert "Brouillon" in visible_text(overview.text)
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.DRAFT

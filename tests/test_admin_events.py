"""Events, rooms, themes, speakers and programme items through the organiser's forms."""

from __future__ import annotations

from helpers import visible_text
from test_admin_support import accounts_fixture, at, build_event, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, EventStatus, ProgrammeItem, Room, Speaker, Theme

NEW_EVENT = {
    "title": "Journée réseau 2031",
    "starts_at": "2031-03-12T09:00",
    "ends_at": "2031-03-12T16:30",
    "timezone": "Europe/Brussels",
    "venue_name": "Maison des associations",
}


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_creating_an_event_refuses_bad_input_beside_each_field(app, client, accounts) -> None:
    login(client, "alice@example.org")
    refused = post(
        client,
        "/admin/events/new",
        {
            **NEW_EVENT,
            "title": "",
            "ends_at": "2031-03-12T08:00",
            "timezone": "Mars/Olympus",
            "slug": "Pas Un Slug",
            "contact_email": "pas-une-adresse",
        },
    )
    assert refused.status_code == 400
    text = visible_text(refused.text)
    assert "Rien n'a été enregistré" in text
    for field, message in (
        ("title", "Ce champ est obligatoire."),
        ("ends_at", "La fin doit suivre le début."),
        ("timezone", "Fuseau horaire inconnu"),
        ("slug", "Lettres minuscules, chiffres et tirets seulement."),
        ("contact_email", "Adresse e-mail invalide."),
    ):
        block = refused.text.split(f'id="{field}-error"')[1].split("</div>")[0]
        assert message in visible_text(block), field
    with app.app_context():
        assert _count(Event) == 0
    created = post(client, "/admin/events/new", NEW_EVENT)
    assert created.status_code == 303
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        assert event.slug == "journee-reseau-2031" and event.status == EventStatus.DRAFT
        assert event.local(event.starts_at).hour == 9 and event.starts_at.hour == 8  # UTC+1
        assert [m.email for m in event.managers] == ["alice@example.org"]
    again = post(client, "/admin/events/new", {**NEW_EVENT, "slug": "journee-reseau-2031"})
    assert again.status_code == 400
    assert "Cette adresse est déjà prise" in visible_text(again.text)


def test_publishing_switches(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}"
    assert client.get("/events/journee-2030/").status_code == 404
    assert post(client, f"{base}/publish").status_code == 303
    assert "Atelier deux" in visible_text(client.get("/events/journee-2030/").text)
    post(client, f"{base}/registration", {"value": "off"})
    post(client, f"{base}/proceedings", {"value": "on", "confirm": "y"})
    overview = visible_text(client.get(f"{base}/").text)
    assert "Inscriptions Fermées" in overview and "Compte-rendu Publié" in overview
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.is_published and not event.registration_open and event.proceedings_published
    post(client, f"{base}/registration", {"value": "on"})
    post(client, f"{base}/unpublish")
    assert client.get("/events/journee-2030/").status_code == 404
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.status == EventStatus.DRAFT and event.registration_open


def test_changing_a_published_events_times_warns_first(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        db.session.get(Event, event_id).status = EventStatus.PUBLISHED
        db.session.commit()
    login(client, "alice@example.org")
    form = {
        "title": "Journée 2030",
        "starts_at": "2030-05-10T10:00",
        "ends_at": "2030-05-10T17:00",
        "timezone": "Europe/Brussels",
    }
    warned = post(client, f"/admin/events/{event_id}/edit", form)
    assert warned.status_code == 400
    block = warned.text.split('id="confirm_time_change-error"')[1].split("</div>")[0]
    assert "les personnes inscrites seront prévenues" in visible_text(block)
    with app.app_context():
        assert (
            db.session.get(Event, event_id).local(db.session.get(Event, event_id).starts_at).hour
            == 9
        )
    saved = post(client, f"/admin/events/{event_id}/edit", {**form, "confirm_time_change": "y"})
    assert saved.status_code == 303
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.local(event.starts_at).hour == 10


def test_duplicating_shifts_the_programme_without_summaries(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        event.themes = [Theme(number=1, title="Premier thème")]
        event.items[1].theme = event.themes[0]
        event.status = EventStatus.PUBLISHED
        event.proceedings_cover_line = "Actes de la journée"
        db.session.commit()
    login(client, "alice@example.org")
    taken = post(
        client,
        f"/admin/events/{event_id}/duplicate",
        {"starts_on": "2031-11-20", "slug": "journee-2030"},
    )
    assert taken.status_code == 400 and "déjà prise" in visible_text(taken.text)
    done = post(
        client,
        f"/admin/events/{event_id}/duplicate",
        {"starts_on": "2031-11-20", "slug": "journee-2031"},
    )
    assert done.status_code == 303
    with app.app_context():
        copy = db.session.scalars(db.select(Event).where(Event.slug == "journee-2031")).one()
        original = db.session.get(Event, event_id)
        assert copy.status == EventStatus.DRAFT and not copy.proceedings_published
        assert copy.proceedings_cover_line == "Actes de la journée"
        assert [(r.name, r.capacity) for r in copy.rooms] == [("Auditorium", 100), ("Salle A", 20)]
        assert [t.title for t in copy.themes] == ["Premier thème"]
        # The same wall-clock times on the new date (winter time now: UTC+1, was UTC+2).
        assert [
            (copy.local(i.starts_at).isoformat(), i.title, i.room.name) for i in copy.items
        ] == [
            ("2031-11-20T09:00:00+01:00", "Ouverture", "Auditorium"),
            ("2031-11-20T14:00:00+01:00", "Atelier un", "Auditorium"),
            ("2031-11-20T14:00:00+01:00", "Atelier deux", "Salle A"),
        ]
        assert all(item.summary_md == "" for item in copy.items)
        assert original.items[0].summary_md == "Ce qui s'est dit."
        assert copy.items[1].theme.event_id == copy.id
        assert [s.name for s in copy.items[0].speakers] == ["Ada Lovelace"]
        assert _count(Speaker) == 2, "speakers are shared, not copied"
        assert [m.email for m in copy.managers] == ["alice@example.org"]


def test_deleting_what_is_still_used_is_refused_with_a_reason(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        event.themes = [Theme(number=1, title="Utilisé"), Theme(number=2, title="Libre")]
        event.items[1].theme = event.themes[0]
        event.rooms.append(Room(name="Salle vide", capacity=10, position=2))
        db.session.commit()
        used_room, free_room = event.rooms[1].id, event.rooms[2].id
        used_theme, free_theme = event.themes[0].id, event.themes[1].id
        ada = db.session.scalars(db.select(Speaker).where(Speaker.name == "Ada Lovelace")).one().id
        loose = Speaker(name="Personne")
        db.session.add(loose)
        db.session.commit()
        loose_id = loose.id
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}"
    answer = post(client, f"{base}/rooms/{used_room}/delete")
    text = visible_text(client.get(answer.headers["Location"]).text)
    assert "La salle Salle A accueille encore : « Atelier deux »" in text
    answer = post(client, f"{base}/themes/{used_theme}/delete")
    text = visible_text(client.get(answer.headers["Location"]).text)
    assert "Le thème 1 est encore celui de : « Atelier un »" in text
    answer = post(client, f"/admin/speakers/{ada}/delete")
    text = visible_text(client.get(answer.headers["Location"]).text)
    assert "Ada Lovelace intervient encore dans 2 éléments de programme" in text
    assert post(client, f"{base}/rooms/{free_room}/delete").status_code == 303
    assert post(client, f"{base}/themes/{free_theme}/delete").status_code == 303
    post(client, f"/admin/speakers/{loose_id}/delete")
    with app.app_context():
        assert db.session.get(Room, used_room) and db.session.get(Theme, used_theme)
        assert db.session.get(Speaker, ada)
        assert db.session.get(Room, free_room) is None
        assert db.session.get(Theme, free_theme) is None
        assert db.session.get(Speaker, loose_id) is None


def test_rooms_and_themes_refuse_duplicates_beside_the_field(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
    login(client, "alice@example.org")
    refused = post(client, f"/admin/events/{event_id}/rooms", {"name": "salle a", "capacity": "0"})
    assert refused.status_code == 400
    assert "Au moins 1." in visible_text(refused.text.split('id="capacity-error"')[1][:200])
    refused = post(client, f"/admin/events/{event_id}/rooms", {"name": "salle a"})
    assert "déjà une salle de ce nom" in visible_text(refused.text)
    post(client, f"/admin/events/{event_id}/rooms", {"name": "Salle B", "capacity": "15"})
    with app.app_context():
        assert [r.name for r in db.session.get(Event, event_id).rooms][-1] == "Salle B"
        assert _count(Room) == 3


def test_speakers_are_found_by_name(app, client, accounts) -> None:
    with app.app_context():
        build_event(accounts["alice"])
    login(client, "alice@example.org")
    found = client.get("/admin/speakers/search?q=lov").get_json()
    assert [s["name"] for s in found] == ["Ada Lovelace"]
    assert found[0]["byline"] == "Ada Lovelace, analyste, Machine"
    assert found[0]["label"] == f"Ada Lovelace #{found[0]['id']}"
    assert client.get("/admin/speakers/search?q=%25").get_json() == []
    page = visible_text(client.get("/admin/speakers?q=turing").text)
    assert "Alan Turing" in page and "Ada Lovelace" not in page


def test_adding_an_item_with_speakers_in_order(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        room_id = db.session.get(Event, event_id).rooms[1].id
        turing = db.session.scalars(db.select(Speaker).where(Speaker.name == "Alan Turing")).one()
        turing_id = turing.id
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/items/new"
    form = {
        "kind": "workshop",
        "title": "Atelier trois",
        "starts_at": "2030-05-10T16:00",
        "ends_at": "2030-05-10T15:00",
        "room_id": str(room_id),
        "theme_id": "0",
        "speakers": "Grace Hopper\nalan turing\nGrace Hopper",
        "capacity": "12",
    }
    refused = post(client, url, form, token_from=url)
    assert refused.status_code == 400
    assert "La fin doit suivre le début." in visible_text(
        refused.text.split('id="ends_at-error"')[1][:300]
    )
    refused = post(client, url, {**form, "ends_at": "2030-05-10T17:00"}, token_from=url)
    assert "« Grace Hopper » figure deux fois." in visible_text(refused.text)
    with app.app_context():
        assert _count(ProgrammeItem) == 3 and _count(Speaker) == 2
    form.update(ends_at="2030-05-10T17:00", speakers=f"Grace Hopper\nAlan Turing #{turing_id}")
    saved = post(client, url, form, token_from=url)
    assert saved.status_code == 303
    with app.app_context():
        item = db.session.scalars(
            db.select(ProgrammeItem).where(ProgrammeItem.title == "Atelier trois")
        ).one()
        assert [s.name for s in item.speakers] == ["Grace Hopper", "Alan Turing"]
        assert item.room.name == "Salle A" and item.capacity == 12
        assert item.event.local(item.starts_at).strftime("%H:%M") == "16:00"
    builder = visible_text(client.get(f"/admin/events/{event_id}/programme").text)
    assert "Auditorium" in builder and "Salle A" in builder
    assert "16:00–17:00 · Atelier Atelier trois Grace Hopper, Alan Turing" in builder


def test_changing_time_or_speakers_bumps_the_sequence_but_a_summary_does_not(
    app, client, accounts
) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        item = db.session.get(Event, event_id).items[1]
        item_id, room_id = item.id, item.room_id
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/items/{item_id}/edit"
    edit = client.get(url)
    assert "Ada Lovelace #" in edit.text
    form = {
        "kind": "workshop",
        "title": "Atelier un",
        "starts_at": "2030-05-10T14:00",
        "ends_at": "2030-05-10T15:30",
        "room_id": str(room_id),
        "theme_id": "0",
        "capacity": "30",
        "speakers": "Ada Lovelace",
        "summary_md": "Résumé",
    }
    assert post(client, url, form, token_from=url).status_code == 303
    with app.app_context():
        assert db.session.get(ProgrammeItem, item_id).sequence == 0
    form["starts_at"] = "2030-05-10T14:15"
    assert post(client, url, form, token_from=url).status_code == 303
    with app.app_context():
        assert db.session.get(ProgrammeItem, item_id).sequence == 1
    form["speakers"] = "Ada Lovelace\nAlan Turing"
    post(client, url, form, token_from=url)
    with app.app_context():
        assert db.session.get(ProgrammeItem, item_id).sequence == 2


def test_moving_an_item_keeps_its_length(app, client, accounts) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        item_id, small = event.items[1].id, event.rooms[1].id
    login(client, "alice@example.org")
    page = f"/admin/events/{event_id}/programme"
    moved = post(
        client,
        f"/admin/events/{event_id}/items/{item_id}/move",
        {f"move-{item_id}-room_id": str(small), f"move-{item_id}-starts_at": "2030-05-10T16:00"},
        token_from=page,
    )
    assert moved.status_code == 303
    with app.app_context():
        item = db.session.get(ProgrammeItem, item_id)
        assert item.room_id == small and item.sequence == 1
        assert item.event.local(item.starts_at).strftime("%H:%M") == "16:00"
        assert item.event.local(item.ends_at).strftime("%H:%M") == "17:30"


def test_the_builder_page_runs_a_fixed_number_of_queries(app, client, accounts) -> None:
    from helpers import count_queries

    from eventapp.models import ItemKind, ItemSpeaker

    with app.app_context():
        event_id = build_event(accounts["alice"])
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/programme"
    client.get(url)
    with count_queries(app) as small:
        assert client.get(url).status_code == 200
    with app.app_context():
        event = db.session.get(Event, event_id)
        for number in range(20):
            item = ProgrammeItem(
                kind=ItemKind.WORKSHOP,
                title=f"Atelier {number}",
                starts_at=at("2030-05-10", "10:00"),
                ends_at=at("2030-05-10", "11:00"),
                room=event.rooms[number % 2],
            )
            item.speaker_links = [ItemSpeaker(speaker=Speaker(name=f"Personne {number}"))]
            event.items.append(item)
        db.session.commit()
    with count_queries(app) as large:
        page = client.get(url)
    assert "Atelier 19" in page.text
    assert len(large) == len(small), (len(small), len(large))
    print(f"builder page: {len(small)} queries with 3 items, {len(large)} with 23")


def test_moving_an_item_of_a_past_event_warns_that_registrants_will_be_told(
    app, client, accounts
) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"], slug="journee-2020", day="2020-05-12")
        item = db.session.get(Event, event_id).items[1]
        item_id, room_id = item.id, item.room_id
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/items/{item_id}/edit"
    assert "Cet événement est passé" in visible_text(client.get(url).text)
    form = {
        "kind": "workshop",
        "title": "Atelier un",
        "starts_at": "2020-05-12T15:00",
        "ends_at": "2020-05-12T16:30",
        "room_id": str(room_id),
        "theme_id": "0",
        "capacity": "30",
        "speakers": "Ada Lovelace",
    }
    warned = post(client, url, form, token_from=url)
    assert warned.status_code == 400
    block = warned.text.split('id="confirm_time_change-error"')[1].split("</div>")[0]
    assert "les personnes inscrites seront prévenues du changement d'horaire" in visible_text(block)
    with app.app_context():
        item = db.session.get(ProgrammeItem, item_id)
        assert item.event.local(item.starts_at).hour == 14 and item.sequence == 0
    # A title-only change needs no confirmation.
    renamed = post(
        client,
        url,
        {
            **form,
            "starts_at": "2020-05-12T14:00",
            "ends_at": "2020-05-12T15:30",
            "title": "Atelier 1",
        },
        token_from=url,
    )
    assert renamed.status_code == 303
    confirmed = post(
        client, url, {**form, "title": "Atelier 1", "confirm_time_change": "y"}, token_from=url
    )
    assert confirmed.status_code == 303
    with app.app_context():
        item = db.session.get(ProgrammeItem, item_id)
        assert item.title == "Atelier 1" and item.event.local(item.starts_at).hour == 15
        assert item.sequence == 2


def test_removing_an_item_deletes_it_in_a_draft_and_cancels_it_once_published(
    app, client, accounts
) -> None:
    with app.app_context():
        event_id = build_event(accounts["alice"])
        items = db.session.get(Event, event_id).items
        opening, workshop = items[0].id, items[1].id
    login(client, "alice@example.org")
    page = f"/admin/events/{event_id}/programme"
    post(client, f"/admin/events/{event_id}/items/{opening}/delete", token_from=page)
    with app.app_context():
        assert db.session.get(ProgrammeItem, opening) is None
        db.session.get(Event, event_id).status = EventStatus.PUBLISHED
        db.session.commit()
    answer = post(client, f"/admin/events/{event_id}/items/{workshop}/delete", token_from=page)
    text = visible_text(client.get(answer.headers["Location"]).text)
    assert "« Atelier un » annulé : les inscrits en seront prévenus." in text
    with app.app_context():
        item = db.session.get(ProgrammeItem, workshop)
        assert item.cancelled_at is not None and item.sequence == 1
    assert "Atelier un" not in visible_text(client.get("/events/journee-2030/").text)


def test_registration_dates_are_set_in_the_event_form_and_shown_as_they_act(
    app, client, accounts
) -> None:
    """The window the public form follows, set and read where organisers look: opening and
    closing in the event's form, the form's real state on the overview."""
    login(client, "alice@example.org")
    assert post(client, "/admin/events/new", NEW_EVENT).status_code == 303
    with app.app_context():
        event_id = db.session.scalars(db.select(Event.id)).one()
    base = f"/admin/events/{event_id}"
    refused = post(
        client,
        f"{base}/edit",
        {
            **NEW_EVENT,
            "registration_opens_at": "2031-02-01T10:00",
            "registration_closes_at": "2031-01-15T10:00",
        },
    )
    assert refused.status_code == 400
    assert "La clôture doit suivre l'ouverture." in visible_text(refused.text)
    after_start = post(
        client, f"{base}/edit", {**NEW_EVENT, "registration_opens_at": "2031-03-12T10:00"}
    )
    assert "Les inscriptions doivent ouvrir avant le début." in visible_text(after_start.text)
    too_late = post(
        client, f"{base}/edit", {**NEW_EVENT, "registration_closes_at": "2031-03-12T10:00"}
    )
    assert "Les inscriptions se ferment au plus tard au début." in visible_text(too_late.text)
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert (event.registration_opens_at, event.registration_closes_at) == (None, None)

    saved = post(
        client,
        f"{base}/edit",
        {
            **NEW_EVENT,
            "registration_opens_at": "2031-02-01T10:00",
            "registration_closes_at": "2031-03-05T18:00",
        },
    )
    assert saved.status_code == 303
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.local(event.registration_opens_at).hour == 10
        assert event.registration_closes_at.hour == 17  # 18:00 in Brussels, UTC+1
    form = client.get(f"{base}/edit").text
    assert 'value="2031-02-01T10:00"' in form and 'value="2031-03-05T18:00"' in form
    post(client, f"{base}/publish")
    overview = visible_text(client.get(f"{base}/").text)
    assert (
        "Inscriptions Fermées Ouvrir les inscriptions Le formulaire public est fermé." in overview
    )
    post(client, f"{base}/registration", {"value": "on"})
    overview = visible_text(client.get(f"{base}/").text)
    assert "Le formulaire public ouvrira le samedi 1 février 2031, 10:00" in overview
    public = visible_text(client.get("/events/journee-reseau-2031/register").text)
    assert "Les inscriptions ne sont pas encore ouvertes" in public

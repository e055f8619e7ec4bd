"""Organisers write an event's texts in each of its languages, side by side."""

from __future__ import annotations

import re

from helpers import visible_text
from test_admin_support import accounts_fixture, build_event, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, EventStatus, ProgrammeItem, Room, Speaker

EVENT_FORM = {
    "title": "Journée 2030",
    "starts_at": "2030-05-10T09:00",
    "ends_at": "2030-05-10T17:00",
    "timezone": "Europe/Brussels",
}


def _event_id(app, accounts) -> int:
    with app.app_context():
        return build_event(accounts["alice"])


def _declare(client, event_id: int, first: str = "fr", others=("nl",), **texts) -> object:
    url = f"/admin/events/{event_id}/edit"
    data = {**EVENT_FORM, "first_language": first, "other_languages": list(others), **texts}
    return post(client, url, data, token_from=url)


def _fields(html: str) -> list[tuple[str, str]]:
    """(name, lang) of each input or text area that says its language."""
    found = []
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        name, lang = re.search(r'name="([^"]+)"', tag), re.search(r'lang="([^"]+)"', tag)
        if name and lang:
            found.append((name.group(1), lang.group(1)))
    return found


def test_the_event_form_shows_one_input_per_language(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/edit").text
    assert "title__nl" not in page  # one language: one input each, as before
    assert _declare(client, event_id).status_code == 303
    page = client.get(f"/admin/events/{event_id}/edit").text
    names = dict(_fields(page))
    assert names["title"] == "fr" and names["title__nl"] == "nl"
    assert names["introduction_md__nl"] == "nl" and "slug__nl" not in names
    text = visible_text(page)
    assert "Titre (français)" in text and "Titre (néerlandais)" in text
    # The same form in Dutch names the languages in Dutch.
    dutch = visible_text(client.get(f"/admin/events/{event_id}/edit?lang=nl").text)
    assert "(Nederlands)" in dutch and "(Frans)" in dutch


def test_translations_are_saved_and_shown_on_the_public_page(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    saved = _declare(
        client, event_id, title__nl="Dag 2030", introduction_md__nl="Welkom **allemaal**."
    )
    assert saved.status_code == 303
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.language_list == ("fr", "nl")
        assert event.translation("title", "nl") == "Dag 2030"
        event.status = EventStatus.PUBLISHED
        db.session.commit()
    page = client.get("/events/journee-2030/?lang=nl").text
    assert "Dag 2030" in page and "<strong>allemaal</strong>" in page
    # Shown again in the form; emptied, a translation is gone (the page falls back).
    form = client.get(f"/admin/events/{event_id}/edit").text
    assert 'value="Dag 2030"' in form
    _declare(client, event_id, title__nl="")
    with app.app_context():
        assert db.session.get(Event, event_id).translation("title", "nl") == ""


def test_a_bad_translation_is_refused_like_its_french_value(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    for bad in ("x" * 201, "Dag\x00 2030"):
        refused = _declare(client, event_id, title__nl=bad)
        assert refused.status_code == 400
        assert 'id="title__nl-error"' in refused.text
    with app.app_context():
        assert db.session.get(Event, event_id).translation("title", "nl") == ""
    # An unknown language is refused beside its field, and nothing changes.
    refused = _declare(client, event_id, others=("nl", "zz"))
    assert refused.status_code == 400 and 'id="other_languages-error"' in refused.text


def test_rooms_themes_items_and_speakers_take_their_translations(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    with app.app_context():
        room = db.session.scalars(db.select(Room).filter_by(event_id=event_id)).first()
        item = db.session.scalars(db.select(ProgrammeItem).filter_by(title="Atelier un")).one()
        speaker = db.session.scalars(db.select(Speaker).filter_by(name="Alan Turing")).one()
        room_id, item_id, speaker_id = room.id, item.id, speaker.id
    url = f"/admin/events/{event_id}/rooms/{room_id}/edit"
    assert 'name="name__nl"' in client.get(url).text
    post(client, url, {"name": "Auditorium", "name__nl": "Aula", "capacity": "100"}, token_from=url)
    url = f"/admin/events/{event_id}/themes"
    post(client, url, {"number": "1", "title": "Secret", "title__nl": "Geheim"}, token_from=url)
    url = f"/admin/events/{event_id}/items/{item_id}/edit"
    page = client.get(url).text
    assert 'name="summary_md__nl"' in page
    post(
        client,
        url,
        {
            "kind": "workshop",
            "title": "Atelier un",
            "title__nl": "Workshop een",
            "starts_at": "2030-05-10T14:00",
            "ends_at": "2030-05-10T15:30",
            "room_id": str(room_id),
            "theme_id": "0",
            "speakers": "Ada Lovelace",
            "capacity": "30",
            "summary_md__nl": "Wat er gezegd is.",
        },
        token_from=url,
    )
    url = f"/admin/speakers/{speaker_id}/edit"
    post(
        client,
        url,
        {"name": "Alan Turing", "role": "mathématicien", "role__nl": "wiskundige"},
        token_from=url,
    )
    with app.app_context():
        assert db.session.get(Room, room_id).translation("name", "nl") == "Aula"
        item = db.session.get(ProgrammeItem, item_id)
        assert item.translation("title", "nl") == "Workshop een"
        assert item.translation("summary_md", "nl") == "Wat er gezegd is."
        assert item.event.themes[0].translation("title", "nl") == "Geheim"
        assert db.session.get(Speaker, speaker_id).translation("role", "nl") == "wiskundige"


def test_the_overview_counts_each_language_and_publishing_asks(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    _declare(client, event_id, title__nl="Dag 2030")
    overview = client.get(f"/admin/events/{event_id}/")
    status = re.search(
        r'<li data-language="nl" data-written="(\d+)" data-total="(\d+)"', overview.text
    )
    written, total = map(int, status.groups())
    # The title, 2 rooms, 3 items, the plenary's summary, Ada's role and organisation.
    assert (written, total) == (1, 9)
    assert "1 textes sur 9" in visible_text(overview.text)
    assert (
        f'href="/admin/events/{event_id}/items/' in overview.text.split('id="languages-heading"')[1]
    )
    # Publishing without the box: refused, still a draft; with it: published.
    refused = post(
        client, f"/admin/events/{event_id}/publish", token_from=f"/admin/events/{event_id}/"
    )
    assert refused.status_code == 303
    assert "des textes manquent en néerlandais" in visible_text(
        client.get(f"/admin/events/{event_id}/").text
    )
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.DRAFT
    post(
        client,
        f"/admin/events/{event_id}/publish",
        {"confirm_incomplete": "y"},
        token_from=f"/admin/events/{event_id}/",
    )
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.PUBLISHED


def test_changing_the_first_language_moves_every_text(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    _declare(client, event_id, title__nl="Dag 2030")
    # Dutch lacks texts: it cannot become every text's fallback; nothing changes.
    refused = _declare(client, event_id, first="nl", others=("fr",), title__nl="Dag 2030")
    assert refused.status_code == 400 and 'id="first_language-error"' in refused.text
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.language_list == ("fr", "nl") and event.title == "Journée 2030"
        for row in (*event.rooms, *event.items):
            for field in row.TRANSLATED:
                if getattr(row, field):
                    row.set_translation(field, "nl", "NL " + getattr(row, field))
        for item in event.items:
            for link in item.speaker_links:
                for field in ("role", "organisation"):
                    if getattr(link.speaker, field):
                        link.speaker.set_translation(field, "nl", "NL")
        db.session.commit()
    moved = _declare(client, event_id, first="nl", others=("fr",), title__nl="Dag 2030")
    assert moved.status_code == 303
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.language_list == ("nl", "fr") and event.language == "nl"
        assert event.title == "Dag 2030" and event.translation("title", "fr") == "Journée 2030"
        item = db.session.scalars(db.select(ProgrammeItem).filter_by(title="NL Ouverture")).one()
        assert item.translation("title", "fr") == "Ouverture"
        assert item.translation("summary_md", "nl") == "NL Ce qui s'est dit."


def test_the_compte_rendu_cover_is_written_in_each_language(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    page = f"/admin/events/{event_id}/proceedings/edit"
    assert 'name="titles-proceedings_cover_line__nl"' in client.get(page).text
    saved = post(
        client,
        f"/admin/events/{event_id}/proceedings/titles",
        {
            "titles-proceedings_cover_line": "Compte-rendu de la journée",
            "titles-proceedings_cover_line__nl": "Verslag van de dag",
        },
        token_from=page,
    )
    assert saved.status_code == 303
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.translation("proceedings_cover_line", "nl") == "Verslag van de dag"
        from eventapp.proceedings import proceedings_html

        assert '<p class="document-kind">Verslag van de dag</p>' in proceedings_html(event, "nl")


def test_the_compte_rendu_parts_are_written_in_each_language(app, client, accounts) -> None:
    event_id = _event_id(app, accounts)
    login(client, "alice@example.org")
    _declare(client, event_id)
    with app.app_context():
        item = db.session.scalars(db.select(ProgrammeItem).filter_by(title="Ouverture")).one()
        item_id = item.id
    page = client.get(f"/admin/events/{event_id}/proceedings/edit?write=nl")
    assert 'aria-current="page">Nederlands</a>' in page.text
    form = page.text.split(f'id="part-item-{item_id}"')[1]
    assert "Ce qui s&#39;est dit." not in form.split("</form>")[0]  # the Dutch text is empty
    opened = re.search(r'name="item-\d+-opened_with"[^>]*value="([^"]*)"', form).group(1)
    saved = post(
        client,
        f"/admin/events/{event_id}/proceedings/parts/item-{item_id}?write=nl",
        {f"item-{item_id}-text": "Wat er gezegd is.", f"item-{item_id}-opened_with": opened},
        token_from=f"/admin/events/{event_id}/proceedings/edit",
    )
    assert saved.status_code == 303 and "write=nl" in saved.headers["Location"]
    with app.app_context():
        item = db.session.get(ProgrammeItem, item_id)
        assert item.translation("summary_md", "nl") == "Wat er gezegd is."
        assert item.summary_md == "Ce qui s'est dit."  # the French text untouched
    # An undeclared language writes the first one's texts.
    french = client.get(f"/admin/events/{event_id}/proceedings/edit?write=zz").text
    assert "Ce qui s&#39;est dit." in french

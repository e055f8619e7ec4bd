"""Writing the compte-rendu in the organiser area: the parts, the preview (HTML and PDF),
saving, access, and the mail registrants get when the organisers publish it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from helpers import csrf_token, visible_text
from test_admin_support import accounts_fixture, at, build_event, login, post  # noqa: F401
from test_mail import Collecting, _serve

from eventapp.extensions import db
from eventapp.models import Event, EventStatus, ItemKind, OutboxMessage, ProgrammeItem
from eventapp.proceedings.authoring import MAX_TEXT_LENGTH
from eventapp.registration import cancel, erase, register
from eventapp.registration.rules import Applicant


@pytest.fixture
def event_id(app, accounts) -> int:
    """Alice's published event (plenary "Ouverture" with a summary, two parallel workshops)
    plus a break, which has no place in the compte-rendu."""
    with app.app_context():
        event_id = build_event(accounts["alice"])
        event = db.session.get(Event, event_id)
        event.organising_body = "SPP Intégration sociale"
        event.status = EventStatus.PUBLISHED
        event.items.append(
            ProgrammeItem(
                kind=ItemKind.BREAK,
                title="Pause café",
                starts_at=at("2030-05-10", "10:00"),
                ends_at=at("2030-05-10", "10:30"),
            )
        )
        db.session.commit()
        db.session.remove()
    return event_id


def _item_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(ProgrammeItem.id).where(ProgrammeItem.title == title))


def _stored(app, event_id: int) -> dict[str, str]:
    with app.app_context():
        event = db.session.get(Event, event_id)
        texts = {item.title: item.summary_md for item in event.items}
        texts["introduction"] = event.introduction_md
        texts["closing"] = event.closing_md
        db.session.remove()
        return texts


def _part_form(page: str, key: str) -> dict[str, str]:
    """The hidden fields of one part's form on the authoring page."""
    section = page[page.index(f'id="part-{key}"') :]
    fields = {}
    for name in ("csrf_token", "opened_with"):
        match = re.search(rf'name="{key}-{name}"[^>]*value="([^"]*)"', section)
        assert match, name
        fields[f"{key}-{name}"] = match.group(1)
    return fields


def _send(client, event_id: int, key: str, text: str, button: str = "save", page=None):
    base = f"/admin/events/{event_id}/proceedings"
    page = page if page is not None else client.get(f"{base}/edit").text
    data = _part_form(page, key) | {f"{key}-text": text, button: ""}
    return client.post(f"{base}/parts/{key}", data=data)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "preview.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_page_lists_every_part_with_its_markdown(app, client, event_id) -> None:
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/proceedings/edit")
    assert page.status_code == 200
    text = visible_text(page.text)
    order = ["Introduction", "Ouverture", "Atelier un", "Atelier deux", "Conclusion"]
    positions = [text.index(title) for title in order]
    assert positions == sorted(positions), "in the order of the compte-rendu"
    assert "Pause café" not in text, "a break has no summary"
    assert "Ada Lovelace" in text and "Salle A" in text
    assert re.search(r"<textarea[^>]*>\s*Ce qui s&#39;est dit.</textarea>", page.text)
    overview = client.get(f"/admin/events/{event_id}/")
    assert f'href="/admin/events/{event_id}/proceedings/edit"' in overview.text


def test_preview_shows_the_sanitised_html_beside_the_text_without_saving(
    app, client, event_id
) -> None:
    login(client, "alice@example.org")
    key = f"item-{_item_id(app, 'Ouverture')}"
    source = (
        "- premier point\n  - détail *important*\n\n"
        '<script>alert("x")</script>\n\n<img src="file:///etc/passwd">\n\n'
        "[lien](javascript:alert(1))"
    )
    response = _send(client, event_id, key, source, button="preview")
    assert response.status_code == 200
    section = response.text[response.text.index(f'id="part-{key}"') :]
    preview = section[section.index('class="proceedings-preview"') : section.index("</form>")]
    assert "hidden" not in preview[: preview.index(">")]
    assert re.search(r"<ul>\s*<li>premier point\s*<ul>\s*<li>détail <em>important</em>", preview)
    assert "<script" not in preview and "<img" not in preview and 'href="javascript' not in preview
    # the textarea keeps what was typed (escaped), nothing is stored
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert _stored(app, event_id)["Ouverture"] == "Ce qui s'est dit."


def test_saving_a_summary_shows_it_in_the_pdf_preview_before_publication(
    app, client, event_id, tmp_path
) -> None:
    login(client, "alice@example.org")
    key = f"item-{_item_id(app, 'Atelier deux')}"
    response = _send(client, event_id, key, "- Les réseaux locaux\n  - un CPAS pilote")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith(f"/admin/events/{event_id}/proceedings/edit#part-{key}")
    assert "Enregistré : Atelier deux." in visible_text(client.get(location).text)
    assert _stored(app, event_id)["Atelier deux"] == "- Les réseaux locaux\n  - un CPAS pilote"

    _send(client, event_id, "introduction", "Une journée *riche*.")
    _send(client, event_id, "closing", "Merci à toutes et à tous.")
    stored = _stored(app, event_id)
    assert stored["introduction"] == "Une journée *riche*."
    assert stored["closing"] == "Merci à toutes et à tous."

    pdf = client.get(f"/admin/events/{event_id}/proceedings/preview.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    text = pdf_text(pdf.data, tmp_path)
    for line in ("Une journée riche.", "Atelier deux", "Les réseaux locaux", "un CPAS pilote"):
        assert line in text
    assert text.index("Les réseaux locaux") < text.index("Merci à toutes et à tous.")
    # the public URL still says nothing: the event and its compte-rendu are unpublished
    assert client.get("/events/journee-2030/proceedings.pdf").status_code == 404


def test_bad_input_is_refused_beside_the_field_and_nothing_is_stored(app, client, event_id) -> None:
    login(client, "alice@example.org")
    key = f"item-{_item_id(app, 'Ouverture')}"
    response = _send(client, event_id, key, "x" * (MAX_TEXT_LENGTH + 1))
    assert response.status_code == 400
    field = response.text[response.text.index(f'id="part-{key}"') :]
    assert re.search(r'class="field-message"[^>]*role="alert">\s*<p>Texte trop long', field)
    assert _stored(app, event_id)["Ouverture"] == "Ce qui s'est dit."

    # a change is a POST with its token: GET is not allowed, a forged POST is refused
    assert client.get(f"/admin/events/{event_id}/proceedings/parts/{key}").status_code == 405
    forged = client.post(
        f"/admin/events/{event_id}/proceedings/parts/{key}", data={f"{key}-text": "forgé"}
    )
    assert forged.status_code == 400
    token = csrf_token(client.get("/admin/").text)
    unknown = f"/admin/events/{event_id}/proceedings/parts/item-999999"
    assert client.post(unknown, data={"item-999999-csrf_token": token}).status_code == 404
    assert _stored(app, event_id)["Ouverture"] == "Ce qui s'est dit."


def test_two_organisers_writing_the_same_part_do_not_overwrite_each_other(
    app, client, event_id
) -> None:
    login(client, "alice@example.org")
    key = f"item-{_item_id(app, 'Ouverture')}"
    opened = client.get(f"/admin/events/{event_id}/proceedings/edit").text
    with app.app_context():  # a colleague saves first
        db.session.get(ProgrammeItem, _item_id(app, "Ouverture")).summary_md = "Version de Bob."
        db.session.commit()
    refused = _send(client, event_id, key, "Version d'Alice.", page=opened)
    assert refused.status_code == 409
    assert "Quelqu'un a modifié ce texte" in visible_text(refused.text)
    assert "Version de Bob." in visible_text(refused.text)  # shown to be read
    assert _stored(app, event_id)["Ouverture"] == "Version de Bob."
    # having read it, saving again replaces it
    again = _send(client, event_id, key, "Version d'Alice.", page=refused.text)
    assert again.status_code == 303
    assert _stored(app, event_id)["Ouverture"] == "Version d'Alice."


def test_live_preview_renders_through_the_server(app, client, event_id) -> None:
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/proceedings/edit").text
    url = f"/admin/events/{event_id}/proceedings/render"
    answer = client.post(
        url,
        data={"text": "**gras** <script>x</script>"},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert answer.status_code == 200
    assert answer.json["html"].startswith("<p><strong>gras</strong>")
    assert "<script" not in answer.json["html"]
    assert client.post(url, data={"text": "sans jeton"}).status_code == 400
    assert 'src="/static/js/proceedings-preview.js' in page


def test_only_the_event_managers_reach_these_pages(app, client, event_id) -> None:
    base = f"/admin/events/{event_id}"
    pages = [
        f"{base}/proceedings/edit",
        f"{base}/proceedings/preview.pdf",
        f"{base}/certificates.pdf",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]

    login(client, "bob@example.org")
    for url in pages:
        assert client.get(url).status_code == 404, url
    key = f"item-{_item_id(app, 'Ouverture')}"
    token = csrf_token(client.get("/admin/").text)
    refused = client.post(
        f"{base}/proceedings/parts/{key}",
        data={f"{key}-csrf_token": token, f"{key}-text": "Bob écrit", "save": ""},
    )
    assert refused.status_code == 404
    assert _stored(app, event_id)["Ouverture"] == "Ce qui s'est dit."

    admin = app.test_client()
    login(admin, "admin@example.org")  # administrators manage every event
    assert admin.get(f"{base}/proceedings/edit").status_code == 200


# --- the mail when the compte-rendu is published -----------------------------------------


@pytest.fixture(name="smtp")
def smtp_fixture(app, monkeypatch) -> Iterator[Collecting]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, as in test_mail) keeping every message."""
    handler = Collecting()
    for port in _serve(handler):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        yield handler


def _register(app, event_id: int, first: str, email: str, language: str = "fr") -> int:
    with app.app_context():
        event = db.session.get(Event, event_id)
        workshop = next(item for item in event.items if item.title == "Atelier un")
        applicant = Applicant(first, "Martin", email, "CPAS de Namur", language=language)
        registration = register(event, applicant, [workshop]).registration
        registration_id = registration.id
        db.session.remove()
    return registration_id


def _switch(client, event_id: int, value: str) -> None:
    # The test event is in 2030: publishing before it ends needs the confirmation box.
    data = {"value": value, "confirm": "y"}
    response = post(client, f"/admin/events/{event_id}/proceedings", data)
    assert response.status_code == 303


def _parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def test_publishing_mails_each_confirmed_registrant_the_link_once(
    app, client, event_id, smtp
) -> None:
    from eventapp.models import Registration

    ana = _register(app, event_id, "Ana", "ana@example.org")
    _register(app, event_id, "Ben", "ben@example.org", language="en")
    carl = _register(app, event_id, "Carl", "carl@example.org")
    dora = _register(app, event_id, "Dora", "dora@example.org")
    with app.app_context():
        cancel(db.session.get(Registration, carl))
        erase(db.session.get(Registration, dora))
        db.session.get(Registration, ana).checked_in_at = at("2030-05-10", "08:55")
        db.session.commit()
        db.session.remove()
    smtp.messages.clear()  # the registration mails

    login(client, "alice@example.org")
    _switch(client, event_id, "on")
    assert sorted(m["To"] for m in smtp.messages) == ["ana@example.org", "ben@example.org"]
    by_address = {m["To"]: m for m in smtp.messages}
    message = by_address["ana@example.org"]
    assert message["Subject"] == "Le compte-rendu est publié : Journée 2030"
    parts = _parts(message)
    link = "http://127.0.0.1:5000/events/journee-2030/proceedings.pdf?lang=fr"
    assert link in parts["text/plain"] and f'href="{link}"' in parts["text/html"]
    assert "Bonjour Ana," in parts["text/plain"]
    assert "attestation de présence" in parts["text/plain"]  # Ana was there
    assert "/certificate.pdf" in parts["text/html"]
    assert "/certificate.pdf" not in _parts(by_address["ben@example.org"])["text/plain"]
    assert by_address["ben@example.org"]["Content-Language"] == "en"

    # withdrawn and published again (a typo fixed): nobody is mailed twice
    _switch(client, event_id, "off")
    _switch(client, event_id, "on")
    assert len(smtp.messages) == 2
    # … but someone confirmed since then gets it at the next publication
    _switch(client, event_id, "off")
    _register(app, event_id, "Emma", "emma@example.org")
    smtp.messages.clear()
    _switch(client, event_id, "on")
    assert [m["To"] for m in smtp.messages] == ["emma@example.org"]
    with app.app_context():
        kinds = db.session.scalars(
            db.select(OutboxMessage.recipient).where(OutboxMessage.kind == "proceedings")
        ).all()
    assert sorted(kinds) == ["ana@example.org", "ben@example.org", "emma@example.org"]


def test_the_overview_link_and_flash_after_publishing(app, client, event_id, smtp) -> None:
    login(client, "alice@example.org")
    data = {"value": "on", "confirm": "y"}
    response = post(client, f"/admin/events/{event_id}/proceedings", data)
    page = client.get(response.headers["Location"])
    assert "Compte-rendu publié." in unescape(visible_text(page.text))
    assert smtp.messages == []  # nobody registered, nobody mailed


def test_publishing_before_the_event_ends_asks_for_confirmation(
    app, client, event_id, smtp
) -> None:
    """Publishing mails the link to every confirmed person: before the day, likely a slip."""
    _register(app, event_id, "Ana", "ana@example.org")
    smtp.messages.clear()
    login(client, "alice@example.org")
    overview = client.get(f"/admin/events/{event_id}/").text
    assert "je publie quand même" in visible_text(overview)
    response = post(client, f"/admin/events/{event_id}/proceedings", {"value": "on"})
    page = visible_text(client.get(response.headers["Location"]).text)
    assert "L'événement n'est pas terminé : cochez la case" in page
    assert smtp.messages == []
    with app.app_context():
        assert not db.session.get(Event, event_id).proceedings_published
    with app.app_context():  # once the day is over, no box to tick
        event = db.session.get(Event, event_id)
        event.starts_at, event.ends_at = at("2020-05-10", "09:00"), at("2020-05-10", "17:00")
        db.session.commit()
    assert "je publie quand même" not in visible_text(client.get(f"/admin/events/{event_id}/").text)
    response = post(client, f"/admin/events/{event_id}/proceedings", {"value": "on"})
    assert "Compte-rendu publié." in visible_text(client.get(response.headers["Location"]).text)


def test_a_drafts_compte_rendu_cannot_be_published(app, client, event_id, smtp) -> None:
    """Its link would lead to a 404: a draft's pages are not public."""
    _register(app, event_id, "Ana", "ana@example.org")
    smtp.messages.clear()
    with app.app_context():
        db.session.get(Event, event_id).status = EventStatus.DRAFT
        db.session.commit()
    login(client, "alice@example.org")
    overview = visible_text(client.get(f"/admin/events/{event_id}/").text)
    assert "Le formulaire public est fermé : l'événement est en brouillon" in overview
    data = {"value": "on", "confirm": "y"}
    response = post(client, f"/admin/events/{event_id}/proceedings", data)
    page = visible_text(client.get(response.headers["Location"]).text)
    assert "Publiez d'abord l'événement" in page
    assert smtp.messages == []
    with app.app_context():
        assert not db.session.get(Event, event_id).proceedings_published


def test_the_cover_and_chapter_read_the_events_own_words(app, client, event_id, tmp_path) -> None:
    """Not every event is a "journée réseau": by default the cover says "Compte-rendu" and
    the chapter carries the event's title; the organisers may word both."""
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}/proceedings"
    with app.app_context():
        title = db.session.get(Event, event_id).title
    text = pdf_text(client.get(f"{base}/preview.pdf").data, tmp_path)
    assert "journée réseau" not in text.lower()
    cover, toc = text.split("\f")[0], text.split("\f")[1]
    assert "Compte-rendu" in cover
    assert re.search(rf"1\s+{re.escape(title)}", toc)

    page = client.get(f"{base}/edit")
    form = {"csrf_token": csrf_token(page.text)}
    answer = client.post(
        f"{base}/titles",
        data=form
        | {
            "titles-proceedings_cover_line": "Actes du forum",
            "titles-proceedings_chapter": "Forum 2030",
        },
    )
    assert answer.status_code == 303
    assert "Enregistré : Page de titre." in visible_text(client.get(f"{base}/edit").text)
    text = pdf_text(client.get(f"{base}/preview.pdf").data, tmp_path)
    cover, toc = text.split("\f")[0], text.split("\f")[1]
    assert "Actes du forum" in cover and "Compte-rendu" not in cover
    assert re.search(r"1\s+Forum 2030", toc)


@pytest.mark.parametrize(
    ("cover_line", "message"),
    [
        ("Actes\r\ndu forum", "Une seule ligne, sans caractère de contrôle."),
        ("x" * 201, "200"),
    ],
)
def test_cover_words_that_do_not_fit_are_refused(
    app, client, event_id, cover_line, message
) -> None:
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}/proceedings"
    token = csrf_token(client.get(f"{base}/edit").text)
    answer = client.post(
        f"{base}/titles",
        data={
            "csrf_token": token,
            "titles-proceedings_cover_line": cover_line,
            "titles-proceedings_chapter": "Forum",
        },
    )
    assert answer.status_code == 400
    assert message in visible_text(answer.text)
    assert (
        client.post(f"{base}/titles", data={"titles-proceedings_chapter": "Forum"}).status_code
        == 400
    )
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert (event.proceedings_cover_line, event.proceedings_chapter) == ("", "")

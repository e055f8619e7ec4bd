"""An event's own texts in several languages: storage, the language shown, the fallback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from helpers import visible_text
from pypdf import PdfReader
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Speaker, Theme

EVENT_URL = "/events/journee-reseau-2015/"
DUTCH_TITLE = "Netwerkdag „Kinderen eerst”"


def _make_bilingual(app, *, summary_too: bool = True) -> tuple[int, int]:
    """The demo with its Dutch texts taken away but a few: French and Dutch declared, most
    texts written in French only (what falls back)."""
    with app.app_context():
        event = db.session.scalars(select(Event).filter_by(slug="journee-reseau-2015")).one()
        event.declare_languages(["fr", "nl"])
        for row in (event, *event.rooms, *event.themes, *event.items):
            row.translations = {}
        for item in event.items:
            for link in item.speaker_links:
                link.translations = {}
                link.speaker.translations = {}
        event.set_translation("title", "nl", DUTCH_TITLE)
        theme = db.session.scalars(select(Theme).filter_by(event_id=event.id, number=1)).one()
        theme.set_translation("title", "nl", "Hoe omgaan met het beroepsgeheim?")
        item = db.session.scalars(
            select(ProgrammeItem).filter_by(event_id=event.id, theme_id=theme.id)
        ).first()
        item.set_translation("title", "nl", "Hoe omgaan met het beroepsgeheim?")
        if summary_too:
            item.set_translation("description_md", "nl", "Een **Nederlandse** aankondiging.")
        db.session.commit()
        return event.id, item.id


def test_a_text_is_stored_per_language_and_falls_back_to_the_first(app, demo) -> None:
    _make_bilingual(app)
    with app.app_context():
        event = db.session.scalars(select(Event).filter_by(slug="journee-reseau-2015")).one()
        assert event.language_list == ("fr", "nl")
        dutch = event.text("title", "nl")
        assert (dutch, dutch.lang) == (DUTCH_TITLE, "nl")
        french = event.text("title", "fr")
        assert french.lang == "fr" and "Les enfants d'abord" in french
        # Not written in Dutch: the French value, marked French.
        venue = event.text("venue_name", "nl")
        assert venue.lang == "fr" and venue == event.venue_name
        # English is not declared: French, even where an English value was stored.
        event.set_translation("title", "en", "Children first")
        assert event.text("title", "en").lang == "fr"
        # Clearing a translation removes it.
        event.set_translation("title", "nl", "")
        assert event.text("title", "nl").lang == "fr"
        assert "nl" not in (event.translations or {}) or "title" not in event.translations["nl"]


def test_unknown_field_is_refused(app, demo) -> None:
    with app.app_context():
        event = db.session.scalars(select(Event)).first()
        with pytest.raises(KeyError):
            event.set_translation("slug", "nl", "x")


def test_declared_languages_drop_unknown_and_repeated_codes(app, demo) -> None:
    with app.app_context():
        event = db.session.scalars(select(Event)).first()
        event.declare_languages(["nl", "zz", "nl", "fr"])
        assert event.language_list == ("nl", "fr")
        assert event.language == "nl"
        event.declare_languages([])
        assert event.language_list == ("fr",)


@pytest.mark.parametrize(
    ("how", "headers", "query"),
    [
        ("query", {}, "?lang=nl"),
        ("accept-language", {"Accept-Language": "nl-BE,nl;q=0.9,fr;q=0.5"}, ""),
    ],
)
def test_the_page_is_shown_in_dutch(app, client, demo, how, headers, query) -> None:
    _make_bilingual(app)
    page = client.get(EVENT_URL + query, headers=headers)
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    heading = re.search(r"<h1([^>]*)>(.*?)</h1>", page.text, re.S)
    assert heading is not None
    assert "Kinderen eerst" in heading.group(2)
    assert "lang=" not in heading.group(1)  # shown in the page's own language
    text = visible_text(page.text)
    assert "Hoe omgaan met het beroepsgeheim?" in text
    assert "Nederlandse" in text


def test_query_parameter_wins_over_the_switch_and_the_browser(app, client, demo) -> None:
    _make_bilingual(app)
    client.set_cookie("lang", "fr")
    page = client.get(EVENT_URL + "?lang=nl", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in page.text
    page = client.get(EVENT_URL, headers={"Accept-Language": "nl"})
    assert '<html lang="fr">' in page.text  # the switch, then the browser


def test_a_missing_dutch_text_is_marked_french(app, client, demo) -> None:
    event_id, item_id = _make_bilingual(app, summary_too=False)
    page = client.get(EVENT_URL + "?lang=nl").text
    # The item's announcement has no Dutch value: its French text carries lang="fr".
    article = re.search(rf'<article[^>]*id="item-{item_id}".*?</article>', page, re.S).group(0)
    title = re.search(r'<h4 class="item-title"([^>]*)>', article).group(1)
    assert "lang=" not in title  # translated
    # The venue and the introduction were not translated.
    assert re.search(r'<div lang="fr">\s*<p>Après la clôture', page)
    # An untranslated workshop title elsewhere carries lang="fr".
    assert re.search(r'<h4 class="item-title" lang="fr">', page)


def test_an_undeclared_language_falls_back_without_error(app, client, demo) -> None:
    _make_bilingual(app)
    page = client.get(EVENT_URL + "?lang=en")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text  # the interface follows the visitor
    assert re.search(r'<h1 lang="fr">', page.text)  # the event's texts are French
    assert client.get(EVENT_URL + "?lang=zz").status_code == 200


def test_speakers_page_and_registration_form_follow_the_language(app, client, demo) -> None:
    _make_bilingual(app)
    with app.app_context():
        speaker = db.session.scalars(select(Speaker).where(Speaker.organisation != "")).first()
        speaker.set_translation("organisation", "nl", "Vertaalde organisatie")
        db.session.commit()
    page = client.get(EVENT_URL + "speakers?lang=nl").text
    assert "Vertaalde organisatie" in visible_text(page)
    assert re.search(r'<p class="speaker-org">Vertaalde organisatie</p>', page)


def test_french_page_is_unchanged_by_translations(app, client, demo) -> None:
    before = visible_text(client.get(EVENT_URL).text)
    _make_bilingual(app)
    after = visible_text(client.get(EVENT_URL).text)
    # The demo declares French and Dutch: the French page links the Dutch compte-rendu.
    assert after == before
    assert "Aussi en : Nederlands" in after


def _pdf(data: bytes, tmp_path: Path) -> tuple[str, PdfReader]:
    path = tmp_path / "cr.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text, PdfReader(path)


def test_the_compte_rendu_in_dutch(app, client, demo, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    event_id, item_id = _make_bilingual(app)
    with app.app_context():
        item = db.session.get(ProgrammeItem, item_id)
        item.set_translation("summary_md", "nl", "## Eerste vaststelling\n\n- Een punt.")
        db.session.commit()
    page = client.get(EVENT_URL)
    assert f'href="{EVENT_URL}proceedings.pdf?lang=nl"' in page.text
    dutch = client.get(EVENT_URL + "proceedings.pdf?lang=nl")
    french = client.get(EVENT_URL + "proceedings.pdf")
    assert dutch.status_code == french.status_code == 200
    assert dutch.headers["Content-Language"] == "nl"
    assert "compte-rendu-journee-reseau-2015-nl.pdf" in dutch.headers["Content-Disposition"]
    assert dutch.headers["ETag"] != french.headers["ETag"]
    text, reader = _pdf(dutch.data, tmp_path)
    assert reader.trailer["/Root"]["/Lang"] == "nl"
    assert "Spreker(s):" in text and "Intervenant(s)" not in text
    assert "Inhoudstafel" in text
    assert "Eerste vaststelling" in text
    assert "Thema 1: Hoe omgaan met het beroepsgeheim?" in text
    # The summaries not written in Dutch are there, in French (marked lang="fr" in the HTML).
    assert "Les réseaux d'un point de vue universitaire" in text
    assert "1 december 2015" in text
    text, reader = _pdf(french.data, tmp_path)
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert "Intervenant(s)" in text and "Eerste vaststelling" not in text
    # Cached per language: both files are in the exports folder.
    names = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert any("-nl-" in name for name in names) and any("-fr-" in name for name in names)
    # The browser's language chooses too; an undeclared one gives the first language.
    assert (
        client.get(EVENT_URL + "proceedings.pdf", headers={"Accept-Language": "nl-BE"}).headers[
            "Content-Language"
        ]
        == "nl"
    )
    assert client.get(EVENT_URL + "proceedings.pdf?lang=en").headers["Content-Language"] == "fr"


def test_the_command_line_writes_each_language(app, demo, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    _make_bilingual(app)
    out = tmp_path / "verslag.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["proceedings", "journee-reseau-2015", "--lang", "nl", "-o", out])
    assert result.exit_code == 0, result.output
    assert result.output == f"Compte-rendu de « journee-reseau-2015 » écrit dans {out}.\n"
    text, reader = _pdf(out.read_bytes(), tmp_path)
    assert reader.trailer["/Root"]["/Lang"] == "nl" and "Spreker(s):" in text
    refused = runner.invoke(args=["proceedings", "journee-reseau-2015", "--lang", "en", "-o", out])
    assert refused.exit_code != 0
    assert refused.stderr.strip().splitlines() == [
        "Erreur : l'événement « journee-reseau-2015 » est écrit en fr, nl, pas en « en »"
    ]


def test_a_participant_chooses_the_language_of_their_mails(app, client) -> None:
    from factories import make_event, workshops
    from regutil import outbox, post_registration, reset_rate_limits, token_of

    from eventapp.mail.outbox import build_message

    reset_rate_limits()
    with app.app_context():
        created = make_event()
        created.declare_languages(["fr", "nl"])
        db.session.commit()
        slug, rounds = created.slug, workshops(created)
    answer = post_registration(client, slug, [rounds[0][0], rounds[1][1]])
    assert answer.status_code == 303, visible_text(answer.text)
    token = token_of(answer.headers["Location"])
    page = client.get(f"/r/{token}/")
    assert 'name="language"' in page.text
    form = page.text.split('class="mail-language"')[1].split("</form>")[0]
    options = re.findall(r'<option[^>]*value="(\w+)"', form)
    assert options == ["fr", "nl", "en"]  # the event's languages first

    # Bad input changes nothing: an unknown language, a missing CSRF token.
    refused = client.post(
        f"/r/{token}/language", data={"language": "zz", "csrf_token": csrf(page.text)}
    )
    assert refused.status_code == 303
    assert "Choisissez une des langues proposées." in client.get(f"/r/{token}/").text
    client.post(f"/r/{token}/language", data={"language": "nl"})
    assert client.get(f"/r/{token}/export.json").json["language"] == "fr"

    done = client.post(
        f"/r/{token}/language", data={"language": "nl", "csrf_token": csrf(page.text)}
    )
    assert done.status_code == 303
    shown = visible_text(client.get(f"/r/{token}/").text)
    assert "Vos e-mails et votre agenda sont désormais en néerlandais." in shown
    assert client.get(f"/r/{token}/export.json").json["language"] == "nl"
    # The next mail is in Dutch.
    change = client.get(f"/r/{token}/change")
    changed = client.post(
        f"/r/{token}/change",
        data={
            "csrf_token": csrf(change.text),
            "workshop_1": rounds[0][2],
            "workshop_2": rounds[1][1],
        },
    )
    assert changed.status_code == 303
    last = outbox(app)[-1]
    assert last.language == "nl"
    with app.app_context():
        message = build_message(db.session.get(type(last), last.id))
    assert message["Content-Language"] == "nl"


def csrf(html: str) -> str:
    from helpers import csrf_token

    return csrf_token(html)


def test_schedule_exports_take_a_language(app, client, demo) -> None:
    from lxml import etree

    _make_bilingual(app)
    dutch = client.get(EVENT_URL + "schedule.xml?lang=nl")
    root = etree.fromstring(dutch.data)
    assert root.findtext("conference/title") == DUTCH_TITLE
    titles = root.xpath("//event/title/text()")
    assert "Hoe omgaan met het beroepsgeheim?" in titles
    by_title = {e.findtext("title"): e.findtext("language") for e in root.iter("event")}
    assert by_title["Hoe omgaan met het beroepsgeheim?"] == "nl"
    assert "fr" in by_title.values()  # the items not translated say their language
    french = etree.fromstring(client.get(EVENT_URL + "schedule.xml").data)
    assert "Les enfants d'abord" in french.findtext("conference/title")
    # Without ?lang= the feed is the same whatever the browser says.
    browser = client.get(EVENT_URL + "schedule.json", headers={"Accept-Language": "nl"})
    assert DUTCH_TITLE not in browser.text
    assert DUTCH_TITLE in client.get(EVENT_URL + "schedule.json?lang=nl").text
    assert client.get(EVENT_URL + "schedule.json?lang=zz").status_code == 200


def test_a_dutch_registrant_gets_dutch_mails_on_the_bilingual_demo(app, client) -> None:
    from factories import workshops
    from regutil import outbox, post_registration, reset_rate_limits

    from eventapp.demo import load_upcoming_demo
    from eventapp.mail.outbox import build_message

    reset_rate_limits()
    with app.app_context():
        event, _ = load_upcoming_demo()
        rounds = workshops(event)
        slug = event.slug
    page = client.get(f"/events/{slug}/register", headers={"Accept-Language": "nl-BE"})
    assert '<html lang="nl">' in page.text
    assert "Hoe open, proactief en niet-stigmatiserend werken?" in page.text
    answer = post_registration(
        client, slug, [rounds[0][0], rounds[1][1]], **{"Accept-Language": "nl-BE"}
    )
    assert answer.status_code == 303
    [row] = outbox(app)
    with app.app_context():
        message = build_message(db.session.get(type(row), row.id))
    assert message["Subject"] == "Inschrijving bevestigd: Netwerkdag ‘Kinderen eerst’"
    text = message.get_body(("plain",)).get_content()
    assert "Netwerkdag ‘Kinderen eerst’" in text
    assert "Koning Albert II-laan 30, 1000 Brussel" in text
    assert "Salle" not in text and "Zaal" in text
    calendar = next(
        part.get_content() for part in message.walk() if part.get_content_type() == "text/calendar"
    )
    assert "Hoe omgaan met het (gedeelde) beroepsgeheim" in calendar.replace("\r\n ", "")


def test_the_programme_feed_is_in_the_visitors_language(app, client, demo) -> None:
    from calendars import icaljs

    def icaljs_events(data: bytes) -> list[dict]:
        return icaljs(data)["events"]

    dutch = client.get(EVENT_URL + "calendar.ics?lang=nl")
    assert dutch.headers["Content-Language"] == "nl"
    events = icaljs_events(dutch.data)
    assert "Netwerken vanuit academisch oogpunt" in {event["summary"] for event in events}
    assert b"SUMMARY;LANGUAGE=nl:" in dutch.data
    french = client.get(EVENT_URL + "calendar.ics")
    assert "Les réseaux d'un point de vue universitaire" in {
        event["summary"] for event in icaljs_events(french.data)
    }
    assert (
        client.get(EVENT_URL + "calendar.ics", headers={"Accept-Language": "nl"}).headers[
            "Content-Language"
        ]
        == "nl"
    )

"""The demo's Dutch version ("Kinderen eerst"): a Dutch twin for every French text, the
same Markdown structure as the seed, and no French left where a Dutch reader would see it."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from markdown_it import MarkdownIt

from eventapp.demo import data as fr
from eventapp.demo import load_demo
from eventapp.demo import nl as nl_summaries
from eventapp.demo import summary as fr_summary
from eventapp.demo.nl import data as nl
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme
from eventapp.proceedings.assembly import proceedings_html, speaker_lines, written_date
from eventapp.programme import event_by_slug

DEMO = Path(fr.__file__).parent
FRENCH_DOCUMENT = DEMO / "compte-rendu-journee-reseau-2015-12-01.md"
DUTCH_DOCUMENT = DEMO / "compte-rendu-journee-reseau-2015-12-01.nl.md"

# data.EVENT's values that are no text a reader reads in a language.
NOT_TEXT = {"slug", "starts", "ends", "timezone", "contact_email"}
# Dutch texts that are rightly the same as the French.
SAME_IN_BOTH = {"Auditorium"}
# Names that stay French in the Dutch texts: a Walloon municipality, a platform, a
# coordination, a project and a play (Yapaka) of the French-speaking community.
KEPT_FRENCH_NAMES = ["Braine-Le-Comte", "Pas à Pas", "Jeunesse et Famille", "Inclu'Action"]
KEPT_FRENCH_NAMES += ["Game t'aime"]
# Words that give away French left untranslated: the document's labels, the French names of
# institutions and cities that have an official Dutch one, and French function words.
FRENCH_WORDS = re.compile(
    r"\b(Thème|Intervenant|CPAS|SPP|Intégration|Compte-rendu|journée|réseau|enfants|"
    r"pauvreté|Salle|Bruxelles|Gand|Courtrai|Anvers|Université|"
    r"le|la|les|des|du|de la|et|une|est|pour|avec|dans|sur|qui|que)\b",
    re.IGNORECASE,
)
FRENCH_LETTERS = re.compile("[àâçèêîôûœÀÂÇÈÉÊÎÔÛŒ]")

# As eventapp.markdown parses what organisers write.
PARSER = MarkdownIt("commonmark", {"html": True, "breaks": False})
SUP = re.compile(r"</?sup>")


def french_summary_names() -> list[str]:
    return sorted(path.stem for path in (DEMO / "summaries").glob("*.md"))


def skeleton(text: str) -> list[tuple]:
    """The Markdown's structure without its words: every block token with its nesting,
    list markers and heading levels, and the kinds of inline tokens (emphasis, breaks)
    in order. <sup> (French ordinals, « 1er ») is typography, not structure."""
    shape: list[tuple] = []
    for token in PARSER.parse(text):
        inline = tuple(
            child.type
            for child in token.children or []
            if child.type != "text"
            and not (child.type == "html_inline" and SUP.fullmatch(child.content))
        )
        shape.append((token.type, token.tag, token.nesting, token.level, token.markup, inline))
    return shape


def outline(text: str) -> list[str]:
    """Each line's indentation and marker ("- ", the document's "- o ", "#"), blank lines
    where the French has them."""
    return [re.match(r"( *)(- o |- |#+ )?", line).group(0) for line in text.split("\n")]


def headings(text: str) -> list[str]:
    return [line.lstrip("#").strip() for line in text.split("\n") if line.startswith("#")]


def speaker_lines_of(text: str) -> list[str]:
    """The document's speaker lines: the list items written wholly in emphasis."""
    return re.findall(r"(?m)^- \*(.+)\*$", text)


def names_in(line: str) -> list[str]:
    found = [(line.find(name), name) for name in fr.SPEAKERS if name in line]
    return [name for _, name in sorted(found)]


def expected_speaker_lines(speakers: dict, credits: dict[str, str]) -> list[str]:
    """The speaker lines the compte-rendu prints for these speakers and credits, section by
    section (the items that carry a summary, in programme order)."""
    ids = {name: number for number, name in enumerate(fr.SPEAKERS, start=1)}
    lines: list[str] = []
    for spec in fr.ITEMS:
        if not spec.get("summary"):
            continue
        links = []
        for name, credit in spec.get("speakers", []):
            role, organisation = speakers[name]
            person = Speaker(id=ids[name], name=name, role=role, organisation=organisation)
            line = credits.get(name, "") if credit else ""
            links.append(ItemSpeaker(speaker=person, speaker_id=ids[name], credit=line))
        # Texts given in the event's first language, as the loader stores them.
        ProgrammeItem(event=Event(languages="fr"), speaker_links=links)
        lines += speaker_lines(links, "fr")
    return lines


def french_credits() -> dict[str, str]:
    credits: dict[str, set[str]] = {}
    for spec in fr.ITEMS:
        for name, credit in spec.get("speakers", []):
            credits.setdefault(name, set()).add(credit)
    assert all(len(found) == 1 for found in credits.values()), "one credit per speaker"
    return {name: found.pop() for name, found in credits.items() if "" not in found}


def section_headings(event: dict, themes: dict[int, str], titles: dict[str, str]) -> list[str]:
    """The document's headings as the app words them in the current locale."""
    out = [event["organising_body"], event["proceedings_chapter"]]
    for spec in fr.ITEMS:
        if not spec.get("summary"):
            continue
        number = f"1.{len(out) - 1}"
        if spec.get("theme"):
            title = gettext(
                "Thème %(number)s : %(title)s", number=spec["theme"], title=themes[spec["theme"]]
            )
        else:
            title = titles[spec["title"]]
        out.append(f"{number} {title}")
    return out


def dutch_texts() -> dict[str, str]:
    """Every Dutch text, by where it comes from."""
    texts = {f"EVENT[{key}]": value for key, value in nl.EVENT.items()}
    texts |= {f"ROOMS[{key}]": value for key, value in nl.ROOMS.items()}
    for number, (title, description) in nl.THEMES.items():
        texts[f"THEMES[{number}]"] = f"{title}\n{description}"
    for name, (role, organisation) in nl.SPEAKERS.items():
        texts[f"SPEAKERS[{name}]"] = f"{role}\n{organisation}"
    texts |= {f"CREDITS[{name}]": value for name, value in nl.CREDITS.items()}
    for key, (title, description) in nl.ITEMS.items():
        texts[f"ITEMS[{key}]"] = f"{title}\n{description}"
    texts |= {f"summaries/{name}.md": nl_summaries.summary(name) for name in french_summary_names()}
    texts[DUTCH_DOCUMENT.name] = DUTCH_DOCUMENT.read_text("utf-8")
    return texts


def french_texts() -> dict[str, str]:
    """Every French text, under the same keys as dutch_texts()."""
    texts = {f"EVENT[{key}]": value for key, value in fr.EVENT.items() if key in nl.EVENT}
    texts |= {f"ROOMS[{name}]": name for name, _capacity in fr.ROOMS}
    for number, title, description in fr.THEMES:
        texts[f"THEMES[{number}]"] = f"{title}\n{description}"
    for name, (role, organisation) in fr.SPEAKERS.items():
        texts[f"SPEAKERS[{name}]"] = f"{role}\n{organisation}"
    texts |= {f"CREDITS[{name}]": value for name, value in french_credits().items()}
    for spec in fr.ITEMS:
        if spec["kind"] != "workshop":
            texts[f"ITEMS[{spec['title']}]"] = f"{spec['title']}\n{spec.get('description', '')}"
    texts |= {f"summaries/{name}.md": fr_summary(name) for name in french_summary_names()}
    texts[DUTCH_DOCUMENT.name] = FRENCH_DOCUMENT.read_text("utf-8")
    return texts


# -- every French text has its Dutch twin, none more ------------------------------------


def test_event_texts() -> None:
    texts = {key for key, value in fr.EVENT.items() if isinstance(value, str)} - NOT_TEXT
    assert set(nl.EVENT) == texts, "a text of data.EVENT has no Dutch (or is listed in NOT_TEXT)"
    assert nl.EVENT["title"] == "Netwerkdag ‘Kinderen eerst’"
    assert nl.EVENT["project"] == "Kinderen eerst"
    assert nl.EVENT["organising_body"] == "POD Maatschappelijke Integratie"


def test_rooms_themes_speakers_and_items_by_the_french_keys() -> None:
    assert set(nl.ROOMS) == {name for name, _capacity in fr.ROOMS}
    assert set(nl.THEMES) == {number for number, _title, _description in fr.THEMES}
    assert set(nl.SPEAKERS) == set(fr.SPEAKERS)
    workshops = [spec for spec in fr.ITEMS if spec["kind"] == "workshop"]
    theme_titles = {title for _number, title, _description in fr.THEMES}
    assert workshops and all(spec["title"] in theme_titles for spec in workshops)
    assert set(nl.ITEMS) == {spec["title"] for spec in fr.ITEMS if spec["kind"] != "workshop"}


def test_a_dutch_text_wherever_the_french_has_one() -> None:
    dutch, french = dutch_texts(), french_texts()
    assert set(dutch) == set(french)
    for key, text in french.items():
        # Field by field: an empty French role, organisation or description stays empty.
        filled = [bool(part.strip()) for part in text.split("\n")]
        if not key.endswith(".md"):
            assert [bool(part.strip()) for part in dutch[key].split("\n")] == filled, key
        if text.strip() and text not in SAME_IN_BOTH:
            assert dutch[key] != text, f"{key} is still the French"


def test_credits_pair_with_the_french_ones() -> None:
    french = french_credits()
    assert set(nl.CREDITS) == set(french)
    # Speakers named together on one French line are named together on one Dutch line.
    for name, line in french.items():
        sharing = {other for other, same in french.items() if same == line}
        assert {other for other in sharing if nl.CREDITS[other] == nl.CREDITS[name]} == sharing


def test_a_dutch_summary_for_each_french_one() -> None:
    names = french_summary_names()
    dutch = sorted(path.stem for path in (DEMO / "nl" / "summaries").glob("*.md"))
    assert dutch == names
    used = {spec["summary"] for spec in fr.ITEMS if spec.get("summary")} | {"introduction"}
    assert used <= set(names)


# -- the same structure as the seed ------------------------------------------------------


@pytest.mark.parametrize("name", french_summary_names())
def test_summary_has_the_french_structure(name: str) -> None:
    french, dutch = fr_summary(name), nl_summaries.summary(name)
    assert skeleton(dutch) == skeleton(french)
    assert outline(dutch) == outline(french)


def test_document_has_the_seeds_structure() -> None:
    french = FRENCH_DOCUMENT.read_text("utf-8")
    dutch = DUTCH_DOCUMENT.read_text("utf-8")
    assert skeleton(dutch) == skeleton(french)
    assert outline(dutch) == outline(french)
    # Each summary is the document's own text, in the document's order.
    places = []
    for name in french_summary_names():
        assert dutch.count(nl_summaries.summary(name)) == 1, name
        places.append((french.index(fr_summary(name)), dutch.index(nl_summaries.summary(name))))
    assert [d for _f, d in sorted(places)] == sorted(d for _f, d in places)


def test_document_speakers_are_the_seeds_in_the_same_order() -> None:
    french = speaker_lines_of(FRENCH_DOCUMENT.read_text("utf-8"))
    dutch = speaker_lines_of(DUTCH_DOCUMENT.read_text("utf-8"))
    assert len(french) == 10
    assert [names_in(line) for line in dutch] == [names_in(line) for line in french]
    # The lines the compte-rendu prints from the data are the document's own, in both
    # languages.
    assert expected_speaker_lines(fr.SPEAKERS, french_credits()) == french
    assert expected_speaker_lines(nl.SPEAKERS, nl.CREDITS) == dutch


def test_document_headings_labels_and_cover_as_the_app_words_them(app: Flask) -> None:
    french = FRENCH_DOCUMENT.read_text("utf-8")
    dutch = DUTCH_DOCUMENT.read_text("utf-8")
    french_titles = {spec["title"]: spec["title"] for spec in fr.ITEMS}
    dutch_titles = {key: title for key, (title, _description) in nl.ITEMS.items()}
    with app.app_context():
        with force_locale("fr"):
            assert headings(french) == section_headings(
                fr.EVENT, {n: t for n, t, _d in fr.THEMES}, french_titles
            )
            assert french.count(f"*{gettext('Intervenant(s) :')}*") == 6
        with force_locale("nl"):
            assert headings(dutch) == section_headings(
                nl.EVENT, {n: t for n, (t, _d) in nl.THEMES.items()}, dutch_titles
            )
            assert dutch.count(f"*{gettext('Intervenant(s) :')}*") == 6
            theme = gettext("Thème %(number)s : %(title)s", number=1, title=nl.THEMES[1][0])
    assert "*Spreker(s):*" in dutch
    # The introduction lists the themes as their sections head them (the first with a "?").
    listed = re.findall(r"(?m)^- (Thema \d: .*)$", nl_summaries.summary("introduction"))
    assert listed[0] == theme + "?"
    assert listed[1:] == [f"Thema {n}: {nl.THEMES[n][0]}" for n in (2, 3, 4)]
    # The title page: project and subtitle, the cover line and the date written in Dutch.
    emphasised = [
        re.sub(r"\s+", " ", paragraph)
        for paragraph in re.findall(r"(?s)\n\*([^*]+)\*\n", dutch.split("\n## ", 2)[1])
    ]
    assert emphasised == [
        f"{nl.EVENT['project']}: {nl.EVENT['subtitle']}",
        f"{nl.EVENT['proceedings_cover_line']} {written_date(fr.EVENT['date'], 'nl')}",
    ]


# -- no French left ------------------------------------------------------------------------


def test_no_french_left_in_the_dutch_texts() -> None:
    for key, text in dutch_texts().items():
        for name in [*KEPT_FRENCH_NAMES, *fr.SPEAKERS]:  # person names stay as they are
            text = text.replace(name, "")
        assert not FRENCH_WORDS.search(text), (key, FRENCH_WORDS.findall(text))
        assert not FRENCH_LETTERS.search(text), (key, FRENCH_LETTERS.findall(text))


def test_institutions_by_their_official_dutch_names() -> None:
    dutch, french = dutch_texts(), french_texts()
    for key, text in french.items():
        assert dutch[key].count("OCMW") == text.count("CPAS"), key
        assert dutch[key].count("POD") == text.count("SPP"), key
        assert dutch[key].count("Kinderen eerst") == text.lower().count("les enfants d'abord"), key
    assert "Universiteit Antwerpen" in nl.SPEAKERS["Prof. Dr. Peter Raeymaeckers"][1]
    assert nl.SPEAKERS["Katja Vanderputten"][1] == "OCMW Brussel"
    assert nl.SPEAKERS["Maarten Francois"][1] == "OCMW Kortrijk, stad Kortrijk"


def test_the_checks_catch_french_and_a_changed_structure() -> None:
    # The checks above fail on what they are meant to catch.
    french = fr_summary("theme-2")
    assert FRENCH_WORDS.search("Les deux plateformes appliquent ces concepts")
    assert FRENCH_WORDS.search("le OCMW de Vielsalm")
    assert FRENCH_LETTERS.search("une coopération à Gand")
    dutch = nl_summaries.summary("theme-2")
    assert skeleton(dutch.replace("\n    - ", "\n  - ", 1)) != skeleton(french)
    assert skeleton(dutch.replace("\n- ", "\n", 1)) != skeleton(french)
    assert outline(dutch.replace("- o ", "- ", 1)) != outline(french)
    assert skeleton("# A\n\n*b*") != skeleton("# A\n\nb")


# -- shippable: it fits the database and makes the Dutch compte-rendu ------------------


def _limit(column) -> int:
    return column.type.length


def test_every_dutch_text_fits_its_column() -> None:
    for key, text in nl.EVENT.items():
        assert len(text) <= _limit(Event.__table__.c[key]), key
    assert max(map(len, nl.ROOMS.values())) <= _limit(Room.__table__.c.name)
    assert max(len(title) for title, _ in nl.THEMES.values()) <= _limit(Theme.__table__.c.title)
    for role, organisation in nl.SPEAKERS.values():
        assert len(role) <= _limit(Speaker.__table__.c.role)
        assert len(organisation) <= _limit(Speaker.__table__.c.organisation)
    assert max(map(len, nl.CREDITS.values())) <= _limit(ItemSpeaker.__table__.c.credit)
    titles = [title for title, _ in [*nl.ITEMS.values(), *nl.THEMES.values()]]
    assert max(map(len, titles)) <= _limit(ProgrammeItem.__table__.c.title)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _document_blocks(text: str) -> list[str]:
    """The text of every heading, paragraph and list item of a document, in order."""
    blocks = []
    for token in PARSER.parse(text):
        if token.type == "inline":
            words = [
                child.content if child.type == "text" else " "
                for child in token.children or []
                if child.type in {"text", "softbreak", "hardbreak"}
            ]
            blocks.append("".join(words))
    return blocks


def _page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1].split(">", 1)[1]))


def test_the_dutch_data_makes_the_dutch_compte_rendu(app: Flask) -> None:
    with app.app_context():
        event, _created = load_demo()
        # As the loader stores it: French first, Dutch beside each text.
        french_page = proceedings_html(event_by_slug(event.slug))
        dutch_page = proceedings_html(event_by_slug(event.slug), "nl")
    assert '<html lang="nl">' in dutch_page
    # The title page as Dutch writes it (no space before the colon), the French one as
    # French does.
    assert '<span class="project">Kinderen eerst:</span>' in dutch_page
    assert '<span class="project">Les enfants d&#39;abord :</span>' in french_page
    # Every heading, speaker line, paragraph and bullet of the Dutch document, in its order.
    text = _squeeze(_page_text(dutch_page))
    position = 0
    for block in _document_blocks(DUTCH_DOCUMENT.read_text("utf-8")):
        found = text.find(_squeeze(block), position)
        assert found >= 0, f"missing or out of order: {block[:90]!r}"
        position = found + len(_squeeze(block))
    # Nothing French in what a Dutch reader sees, labels included.
    shown = _page_text(dutch_page)
    for name in [*KEPT_FRENCH_NAMES, *fr.SPEAKERS]:
        shown = shown.replace(name, "")
    assert not FRENCH_WORDS.search(shown), FRENCH_WORDS.findall(shown)
    assert not FRENCH_LETTERS.search(shown), FRENCH_LETTERS.findall(shown)


def test_event_page_writes_the_project_colon_in_the_pages_language(client, demo: str) -> None:
    french = client.get(f"/events/{demo}/", headers={"Accept-Language": "fr-BE"}).text
    dutch = client.get(f"/events/{demo}/", headers={"Accept-Language": "nl-BE"}).text
    assert "abord : Plateformes de concertation locales" in re.sub(r"<[^>]+>", "", french)
    assert "Kinderen eerst: Lokale overlegplatformen" in re.sub(r"<[^>]+>", "", dutch)

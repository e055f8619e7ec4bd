"""The demo's compte-rendu PDF, read as a person would: its text (pdftotext), its metadata
(pdfinfo, pypdf) and its pages as pictures (pdftoppm)."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from PIL import Image
from pypdf import PdfReader

from eventapp.demo import load_demo
from eventapp.extensions import db
from eventapp.proceedings import proceedings_file
from eventapp.programme import event_by_slug

SEED_NAME = "compte-rendu-journee-reseau-2015-12-01.md"
SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"
PACKAGE_SEED = Path(__file__).resolve().parent.parent / "eventapp" / "demo" / SEED_NAME


@dataclass
class Block:
    kind: str  # heading | speaker | bullet | paragraph
    text: str


def seed_blocks() -> list[Block]:
    """Every heading, speaker line, bullet and paragraph of the seed document, in order.

    The Markdown markers are dropped (#, list dashes, * of emphasis, <sup> tags); speaker
    lines keep the document's own punctuation (a trailing "," or " :" included).
    """
    source = SEED_DIR / SEED_NAME
    text = (source if source.exists() else PACKAGE_SEED).read_text("utf-8")
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_speakers = False

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for raw in text.splitlines():
        line = re.sub(r"</?sup>", "", raw).replace("*", "").strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            flush()
            blocks.append(Block("heading", line.lstrip("#").strip()))
            in_speakers = False
        elif line.startswith("- "):
            flush()
            if in_speakers and raw.lstrip().startswith("- *"):
                blocks.append(Block("speaker", line[2:]))
            else:
                in_speakers = False
                blocks.append(Block("bullet", line[2:]))
        elif line == "Intervenant(s) :":
            flush()
            blocks.append(Block("heading", line))
            in_speakers = True
        else:
            paragraph.append(line)
    flush()
    return blocks


def squeeze(text: str) -> str:
    """Text without any whitespace: line breaks and hyphen wraps of the PDF do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def assert_in_order(blocks: list[Block], text: str) -> None:
    haystack = squeeze(text)
    position = 0
    for block in blocks:
        found = haystack.find(squeeze(block.text), position)
        assert found >= 0, f"{block.kind} missing or out of order: {block.text[:90]!r}"
        position = found + len(squeeze(block.text))


@dataclass
class DemoPdf:
    path: Path
    pages: list[str]  # pdftotext of each page, running footer removed
    footers: list[tuple[int, int] | None]
    title: str


@pytest.fixture(scope="module")
def demo_pdf(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> DemoPdf:
    folder = tmp_path_factory.mktemp("demo-pdf")
    with app.app_context():
        event, _created = load_demo()
        event = event_by_slug(event.slug)
        title = event.title
        shutil.copyfile(proceedings_file(event).path, folder / "demo.pdf")
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
    text = subprocess.run(
        # -layout keeps the hyphen of a word broken at "-" across lines (Senne-Marolles).
        ["pdftotext", "-layout", "-enc", "UTF-8", str(folder / "demo.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    raw_pages = text.split("\f")
    if raw_pages and not raw_pages[-1].strip():
        raw_pages.pop()
    footer = re.compile(r"\s*" + re.escape(title) + r"\s*page (\d+) / (\d+)\s*$")
    pages, footers = [], []
    for page in raw_pages:
        match = footer.search(page)
        footers.append((int(match[1]), int(match[2])) if match else None)
        pages.append(page[: match.start()] if match else page)
    return DemoPdf(folder / "demo.pdf", pages, footers, title)


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return dict(
        (key.strip(), value.strip())
        for key, value in (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    )


def _split_front(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    start = next(i for i, b in enumerate(blocks) if b.text == "Journée réseau")
    return blocks[:start], blocks[start:]


def test_seed_parser_finds_the_whole_document() -> None:
    blocks = seed_blocks()
    kinds = [block.kind for block in blocks]
    assert kinds.count("speaker") == 10
    assert kinds.count("bullet") > 100
    assert [b.text for b in blocks if b.kind == "heading" and b.text[:2] == "1."] == [
        "1.1 Introduction",
        "1.2 Les réseaux d'un point de vue universitaire",
        "1.3 Thème 1 : Comment gérer le secret professionnel (partagé), le respect de la vie "
        "privée et l'obligation de notification",
        "1.4 Thème 2 : Comment travailler de manière ouverte, proactive et non stigmatisante ?",
        "1.5 Thème 3 : Comment coopérer, dans une grande ville, avec plusieurs quartiers ou "
        "entre plusieurs communes ?",
        "1.6 Thème 4 : Comment adhérer à la politique (locale) existante en matière de "
        "pauvreté / comment s'ancrer ?",
    ]


def test_title_page_reads_like_the_seed(demo_pdf: DemoPdf) -> None:
    front, _body = _split_front(seed_blocks())
    assert [b.text for b in front] == [
        "SPP Intégration sociale",
        "Les enfants d'abord : Plateformes de concertation locales pour la prévention et la "
        "détection de la pauvreté infantile",
        "Compte-rendu de la journée réseau 1er décembre 2015",
    ]
    assert_in_order(front, demo_pdf.pages[0])
    assert demo_pdf.footers[0] is None, "the title page has no running footer"


def test_body_has_every_heading_speaker_line_and_bullet_in_order(demo_pdf: DemoPdf) -> None:
    _front, body = _split_front(seed_blocks())
    toc_page = next(i for i, page in enumerate(demo_pdf.pages) if "Table des matières" in page)
    text = "\n".join(demo_pdf.pages[toc_page + 1 :])
    assert_in_order(body, text)
    # Each section heading exactly as the document words it: nothing added at its end.
    for heading, label in zip(body, body[1:], strict=False):
        if heading.kind == "heading" and label.text == "Intervenant(s) :":
            assert squeeze(heading.text + label.text) in squeeze(text), heading.text


def test_items_without_summary_get_no_section(demo_pdf: DemoPdf) -> None:
    text = "\n".join(demo_pdf.pages)
    # The KPMG presentation has no summary in the document: neither has it a section.
    assert "L'étude Les enfants d'abord" not in text
    assert "1.7" not in text
    # Each theme ran in two rounds but makes one section.
    for number in range(1, 5):
        assert squeeze(text).count(squeeze(f"Thème {number} :")) == 3  # intro, TOC, section


def test_table_of_contents_gives_the_page_of_each_section(demo_pdf: DemoPdf) -> None:
    toc = demo_pdf.pages[1]
    assert squeeze(toc).startswith(squeeze("Table des matières"))
    headings = [b.text for b in seed_blocks() if b.kind == "heading" and b.text[:2] == "1."]
    # (as listed in the table, as the heading reads in the body)
    entries = [("1 Journée réseau", "Journée réseau")] + [(h, h) for h in headings]
    assert_in_order([Block("heading", listed) for listed, _body in entries], toc)
    pages = [int(n) for n in re.findall(r"(?m)\.\s*(\d+)\s*$", toc)]
    assert len(pages) == len(entries)
    assert pages == sorted(pages) and pages[0] == 3
    for (_, heading), page in zip(entries, pages, strict=True):
        assert squeeze(heading) in squeeze(demo_pdf.pages[page - 1]), (
            f"{heading!r} is not on page {page}"
        )


def test_running_footer_numbers_every_page(demo_pdf: DemoPdf) -> None:
    total = len(demo_pdf.pages)
    assert demo_pdf.footers[1:] == [(n, total) for n in range(2, total + 1)]


def test_metadata_and_page_count(demo_pdf: DemoPdf) -> None:
    info = pdfinfo(demo_pdf.path)
    assert info["Title"] == "Compte-rendu : Journée réseau « Les enfants d'abord »"
    assert info["Author"] == "SPP Intégration sociale"
    assert info["Tagged"] == "yes"
    assert info["Page size"].endswith("(A4)")
    assert int(info["Pages"]) == len(demo_pdf.pages)
    assert 8 <= int(info["Pages"]) <= 16
    assert info["CreationDate"] and info["ModDate"]
    reader = PdfReader(demo_pdf.path)
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert bool(reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"])
    fonts = subprocess.run(
        ["pdffonts", str(demo_pdf.path)], check=True, capture_output=True, text=True
    ).stdout
    families = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert families and all("Proceedings-Sans" in name for name in families), fonts
    # Every font is embedded: the PDF does not depend on the reader's fonts.
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Journée réseau" in outline


def test_title_page_and_a_content_page_render_to_png(demo_pdf: DemoPdf, tmp_path: Path) -> None:
    for page in (1, 3):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile"]
            + [str(demo_pdf.path), str(tmp_path / f"page-{page}")],
            check=True,
        )
    title = Image.open(tmp_path / "page-1.png").convert("RGB")
    content = Image.open(tmp_path / "page-3.png").convert("RGB")
    for image in (title, content):
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.01
    # The title page's band of colour down the left edge; the content page's white margin.
    r, g, b = title.getpixel((5, title.height // 2))
    assert b > 90 and r < 60, (r, g, b)
    assert content.getpixel((5, content.height // 2)) == (255, 255, 255)
    # Both pages carry ink (text), not blank paper.
    assert sum(title.convert("L").histogram()[:128]) > 500
    assert sum(content.convert("L").histogram()[:128]) > 2000


def test_labels_and_date_in_the_events_language(app: Flask, demo: str) -> None:
    from eventapp.proceedings import proceedings_html

    with app.app_context():
        event = event_by_slug(demo)
        event.declare_languages(["fr", "nl"])
        html = proceedings_html(event, "nl")
        with force_locale("nl"):
            contents, speakers = gettext("Table des matières"), gettext("Intervenant(s) :")
        db.session.rollback()
    assert '<html lang="nl">' in html
    assert '<p class="document-date">1 december 2015</p>' in html
    assert contents in html and speakers in html
    assert speakers == "Spreker(s):"
    # The demo is written in Dutch too: its Dutch texts, none of them marked as French.
    assert '<h2 id="chapter-1-heading">Netwerkdag</h2>' in html
    assert '<div class="summary">' in html and 'lang="fr"' not in html


def test_a_theme_run_in_two_rounds_is_one_section_with_all_its_summaries(
    app: Flask, demo: str
) -> None:
    from eventapp.models import ItemSpeaker, Speaker
    from eventapp.proceedings import proceedings_html

    with app.app_context():
        event = event_by_slug(demo)
        first, second = [i for i in event.items if i.theme and i.theme.number == 1]
        second.summary_md = "## Second tour\n\n- Au second tour, *d'autres* questions."
        second.speaker_links.append(
            ItemSpeaker(speaker=Speaker(name="Anne Exemple", role="juriste"), position=5)
        )
        event.closing_md = "Merci à toutes et à tous."
        db.session.commit()
        html = proceedings_html(event_by_slug(demo))
    body = html.split("<main>")[1]
    sections = re.findall(r'<section class="section[^"]*" id="([^"]+)"', body)
    assert sections == [f"section-1-{n}" for n in range(1, 7)] + ["closing"]
    theme_1 = body.split('id="section-1-3"')[1].split('<section class="section"')[0]
    assert theme_1.count("Thème 1 :") == 1
    lines = re.findall(r"<li>([^<]+)</li>", theme_1.split("</ul>")[0])
    assert lines == [
        "Lara De Jacquier, Coordinatrice-Directrice du Secteur Social du CPAS de Gembloux",
        "Anne Exemple, juriste",
    ]
    assert theme_1.index("Trois aspects ont été abordés.") < theme_1.index("Au second tour")
    # A summary's own headings sit below the section's (h3): one outline, one tag tree.
    assert "<h4>Second tour</h4>" in theme_1
    assert "Thème 1 :" not in body.split('id="section-1-4"')[1]
    toc = html.split('<nav class="toc"')[1].split("</nav>")[0]
    assert 'href="#closing"' in toc and "Conclusion" in toc
    assert "Merci à toutes et à tous." in body.split('id="closing"')[1]

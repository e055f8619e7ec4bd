"""A title quoted in a sentence keeps quotation marks that do not nest: « Journée réseau
“Les enfants d'abord” », never « Journée réseau « Les enfants d'abord » »."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from helpers import visible_text
from regutil import post_registration, reset_rate_limits
from test_admin_support import accounts_fixture, login  # noqa: F401

from eventapp.admin.conflicts import programme_conflicts
from eventapp.demo import DEMO_SLUG, UPCOMING_SLUG, load_demo, load_upcoming_demo
from eventapp.extensions import db
from eventapp.i18n import within_quotes
from eventapp.mail import deliver_new
from eventapp.programme import choice_blocks, event_by_slug

QUOTED = "« Journée réseau “Les enfants d'abord” »"
# A « inside « … » : the nesting this file forbids.
NESTED = re.compile(r"«[^»]*«")


@pytest.mark.parametrize(
    ("text", "outer", "written"),
    [
        ("Journée réseau « Les enfants d'abord »", "«", "Journée réseau “Les enfants d'abord”"),
        ("Forum « Gand »", "“", "Forum « Gand »"),  # English quotes around: no nesting
        ("Forum “Gand”", "“", "Forum ‘Gand’"),
        ("Forum „Gent”", "„", "Forum ‘Gent’"),
        ("Sans guillemets", "«", "Sans guillemets"),
    ],
)
def test_marks_inside_marks(text: str, outer: str, written: str) -> None:
    assert within_quotes(text, outer) == written


@pytest.fixture
def demo_days(app) -> None:
    with app.app_context():
        load_demo()
        load_upcoming_demo(datetime(2026, 12, 5, tzinfo=UTC))
        db.session.remove()


def test_organiser_pages_quote_the_title_once(app, client, accounts, demo_days) -> None:
    with app.app_context():
        event_id = event_by_slug(DEMO_SLUG).id
        db.session.remove()
    login(client, "admin@example.org")
    for path, sentence in [
        ("programme", f"Programme de {QUOTED}"),
        ("registrations", f"Inscriptions à {QUOTED}"),
        ("dashboard", f"Tableau de bord de {QUOTED}"),
        ("duplicate", f"Dupliquer {QUOTED}"),
    ]:
        page = client.get(f"/admin/events/{event_id}/{path}")
        assert page.status_code == 200, path
        text = visible_text(page.text)
        assert sentence in text, path
        assert not NESTED.search(text), path


def test_english_pages_keep_french_marks_inside_english_ones(app, client, demo_days) -> None:
    page = client.get(f"/events/{DEMO_SLUG}/register", headers={"Accept-Language": "en"})
    # The French title is marked lang="fr" inside the English sentence (a span, no space).
    text = html.unescape(re.sub(r"<[^>]+>", "", page.text))
    assert "“Journée réseau « Les enfants d'abord »”" in text


def test_mails_and_participant_pages_quote_the_title_once(app, client, demo_days) -> None:
    with app.app_context():
        blocks = choice_blocks(event_by_slug(UPCOMING_SLUG))
        picks = [blocks[0].items[0].id, blocks[1].items[1].id]
        db.session.remove()
    mails = Path(app.config["OUTBOX_DIR"])  # shared by the tests of the session
    before = set(mails.glob("*.eml"))
    reset_rate_limits()
    answer = post_registration(client, UPCOMING_SLUG, picks)
    assert answer.status_code == 303
    with app.app_context():
        deliver_new()
    (mail,) = set(mails.glob("*.eml")) - before
    message = message_from_bytes(mail.read_bytes(), policy=default)
    plain = message.get_body(("plain",)).get_content()
    html = visible_text(message.get_body(("html",)).get_content())
    for text in (plain, html):
        assert f"Votre inscription à {QUOTED} est confirmée." in " ".join(text.split())
        assert not NESTED.search(text)
    cancel = client.get(answer.headers["Location"] + "cancel")
    assert cancel.status_code == 200
    assert f"votre inscription à {QUOTED} ?" in visible_text(cancel.text)


def test_conflicts_quote_item_titles_once(app, ctx, demo_days) -> None:
    event = event_by_slug(UPCOMING_SLUG)
    first, second = choice_blocks(event)[0].items[:2]
    first.title = "Atelier « secret partagé »"
    second.room = first.room
    messages = [conflict.message for conflict in programme_conflicts(event)]
    db.session.rollback()
    assert messages and all(not NESTED.search(message) for message in messages)
    assert any("« Atelier “secret partagé” »" in message for message in messages)

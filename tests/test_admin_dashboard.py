"""The event's dashboard (SVG charts readable without colour) and mail to participants."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

from helpers import visible_text
from regutil import outbox
from test_admin_registrations import _event, _register
from test_admin_support import accounts_fixture, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import OutboxMessage, Registration
from eventapp.models.types import utcnow

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(html: str) -> list[ET.Element]:
    chunks = html.split("<svg")[1:]
    return [ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>") for chunk in chunks]


def test_dashboard_charts_figures_and_mails(app, client, accounts) -> None:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts, workshop_capacity=2)
    for n in range(3):
        _register(app, event_id, [a, a2], f"P{n}", f"Nom{n}")
    _register(app, event_id, [b, b2], "Zoé", "Zed")
    with app.app_context():
        # Two registrations came two days earlier; one mail failed once.
        for registration in db.session.scalars(db.select(Registration).limit(2)):
            registration.created_at = utcnow() - timedelta(days=2)
        failed = db.session.scalars(db.select(OutboxMessage).limit(1)).one()
        failed.attempts, failed.last_error = 1, "SMTPServerDisconnected: bye"
        db.session.commit()
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/dashboard")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "3 confirmée(s)" in text and "1 en liste d'attente" in text
    assert "1 mail(s) en échec" in text and "SMTPServerDisconnected: bye" in text
    assert "3 mail(s) en file" in text  # written by register(), never delivered here

    timeline, fill = _svgs(page.text)
    assert timeline.get("role") == "img"
    assert (
        timeline.find(f"{SVG}title").text == "Nombre total d'inscriptions reçues, jour après jour"
    )
    assert "4 inscription(s) reçue(s) au total" in timeline.find(f"{SVG}desc").text
    points = [c.find(f"{SVG}title").text for c in timeline.iter(f"{SVG}circle")]
    assert [p.split(" : ")[1] for p in points] == ["+2 (2)", "+0 (2)", "+2 (4)"]
    # Fill: a bar per workshop, the waiting list hatched, every value also written.
    groups = {g.get("data-workshop"): g for g in fill.iter(f"{SVG}g")}
    assert len(groups) == 6
    first = groups[str(a)]
    values = "".join(first.find(f"{SVG}text[@class='value']").itertext())
    assert values == "2/2 · 1 en attente · 0 libre(s)"
    assert first.find(f"{SVG}rect[@class='waitlist']").get("fill") == "url(#hatch)"
    assert float(first.find(f"{SVG}rect[@class='waitlist']").get("width")) > 0
    assert fill.find(f"{SVG}defs/{SVG}pattern").get("id") == "hatch"
    # The table fallback repeats the figures.
    table = page.text.split("Le tableau des ateliers")[1].split("</table>")[0]
    assert "Atelier 1, tour 1 2 2 1 0" in visible_text(table)


def test_dashboard_of_an_event_without_registrations(app, client, accounts) -> None:
    event_id, _ = _event(app, accounts)
    login(client, "alice@example.org")
    text = visible_text(client.get(f"/admin/events/{event_id}/dashboard").text)
    assert "Aucune inscription pour l'instant." in text and "0 mail(s) en file" in text


def test_mail_one_workshop_after_a_preview(app, client, accounts) -> None:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts)
    _register(app, event_id, [a, a2], "Ana", "López")
    _register(app, event_id, [a, b2], "Bruno", "Martin", language="nl")
    _register(app, event_id, [b, a2], "Chloé", "Dubois")
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/mailing"
    form = client.get(url)
    assert form.status_code == 200 and f'value="item-{a}"' in form.text
    before = len(outbox(app))

    refused = post(client, url, {"audience": f"item-{a}", "subject": "", "body_md": "x"})
    assert refused.status_code == 400
    assert "Ce champ est obligatoire." in visible_text(refused.text.split('id="subject-error"')[1])
    body = "La salle change : **Salle B**.\n\n<script>alert(1)</script>[plan](javascript:x)"
    data = {"audience": f"item-{a}", "subject": "Changement de salle", "body_md": body}
    preview = post(client, url, data)
    assert preview.status_code == 200
    text = visible_text(preview.text)
    assert "2 personne(s) recevront ce message" in text and "Atelier « Atelier 1, tour 1 »" in text
    assert "<strong>Salle B</strong>" in preview.text and "<script>alert" not in preview.text
    assert len(outbox(app)) == before, "a preview sends nothing"

    stale = post(client, url, {**data, "step": "send", "expected": "5"})
    assert stale.status_code == 200 and len(outbox(app)) == before
    assert "Le nombre de destinataires a changé" in visible_text(stale.text)

    key = re.search(r'name="submission" value="([^"]+)"', stale.text).group(1)
    sent = post(client, url, {**data, "step": "send", "expected": "2", "submission": key})
    assert sent.status_code == 303
    messages = outbox(app, "message")
    assert sorted(m.recipient for m in messages) == [
        "ana.lópez@example.org",
        "bruno.martin@example.org",
    ]
    ana = next(m for m in messages if m.recipient.startswith("ana"))
    assert ana.subject == "Changement de salle" and ana.status == "sent"
    assert ana.body_text.startswith("Bonjour Ana,") and "**Salle B**" in ana.body_text
    assert "<strong>Salle B</strong>" in ana.body_html
    assert "<script" not in ana.body_html and 'href="javascript' not in ana.body_html
    eml = message_from_bytes(
        _eml_bytes(app, ana.id), policy=default_policy
    )  # what the participant receives
    assert eml["Subject"] == "Changement de salle"
    assert [part.get_content_type() for part in eml.iter_parts()] == ["text/plain", "text/html"]
    bruno = next(m for m in messages if m.recipient.startswith("bruno"))
    assert bruno.body_text.startswith("Beste Bruno,") and bruno.language == "nl"  # in Dutch
    dashboard = visible_text(client.get(f"/admin/events/{event_id}/dashboard").text)
    assert "Message envoyé à 2 personne(s)." in dashboard


def _eml_bytes(app, row_id: int) -> bytes:
    from pathlib import Path

    # The newest: an earlier test's row may have had the same id (SQLite reuses them).
    paths = Path(app.config["OUTBOX_DIR"]).glob(f"*-{row_id:06d}-message-*.eml")
    return max(paths, key=lambda path: path.stat().st_mtime_ns).read_bytes()


def test_mailing_nobody_is_refused_beside_the_audience(app, client, accounts) -> None:
    event_id, _ = _event(app, accounts)
    login(client, "alice@example.org")
    answer = post(
        client,
        f"/admin/events/{event_id}/mailing",
        {"audience": "waitlisted", "subject": "Bonjour", "body_md": "Texte"},
    )
    assert answer.status_code == 400
    assert "Personne ne recevrait ce message." in visible_text(
        answer.text.split('id="audience-error"')[1]
    )
    assert not outbox(app, "message")

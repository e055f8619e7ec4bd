"""Organiser area pages of this issue: API tokens, schedule upload."""

from __future__ import annotations

import io

from helpers import csrf_token, visible_text
from test_admin_support import accounts_fixture, login  # noqa: F401

from eventapp.extensions import db
from eventapp.models import ApiToken, Event

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<schedule><conference><acronym>&lol2;</acronym></conference></schedule>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<schedule><conference><acronym>&xxe;</acronym></conference></schedule>"""
SCHEDULE = """<?xml version="1.0" encoding="UTF-8"?>
<schedule><conference><acronym>ete-2031</acronym><title>Été 2031</title>
<start>2031-06-20</start><end>2031-06-20</end><time_zone_name>Europe/Brussels</time_zone_name>
</conference><day index="1" date="2031-06-20"><room name="Salle Hélène">
<event guid="6f1c8f9e-0000-4000-8000-000000000001" id="1"><date>2031-06-20T10:00:00+02:00</date>
<start>10:00</start><duration>01:00</duration><room>Salle Hélène</room><title>Ouverture</title>
<type>plenary</type><track></track><abstract></abstract>
<persons><person id="1">Zoé Dupont</person></persons>
</event></room></day></schedule>""".encode()


def test_tokens_are_shown_once_listed_with_last_use_and_revoked(app, client, accounts) -> None:
    login(client, "alice@example.org")
    page = client.get("/admin/tokens")
    created = client.post(
        "/admin/tokens", data={"name": "Site web", "csrf_token": csrf_token(page.text)}
    )
    assert "il ne sera plus jamais affiché" in visible_text(created.text)
    secret = created.text.split("data-token-secret>")[1].split("<")[0]
    with app.app_context():
        token = db.session.scalars(db.select(ApiToken)).one()
        assert secret not in token.secret_hash and len(token.secret_hash) == 64
    listing = visible_text(client.get("/admin/tokens").text)
    assert secret not in listing
    assert "Site web" in listing and "jamais" in listing
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/organiser/events", headers=auth).status_code == 200
    assert "jamais" not in visible_text(client.get("/admin/tokens").text)
    page = client.get("/admin/tokens")
    client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page.text)})
    assert "révoqué" in visible_text(client.get("/admin/tokens").text)
    assert client.get("/api/v1/organiser/events", headers=auth).status_code == 401


def test_another_organisers_token_cannot_be_revoked(app, client, accounts) -> None:
    from eventapp.admin.api_tokens import create_token
    from eventapp.models import User

    with app.app_context():
        token_id = create_token(db.session.get(User, accounts["bob"]), "Bob").token.id
    login(client, "alice@example.org")
    page = client.get("/admin/tokens")
    answer = client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def _upload(client, data: bytes):
    page = client.get("/admin/import/schedule")
    return client.post(
        "/admin/import/schedule",
        data={
            "csrf_token": csrf_token(page.text),
            "timezone": "Europe/Brussels",
            "file": (io.BytesIO(data), "schedule.xml"),
        },
        content_type="multipart/form-data",
    )


def _events(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Event.slug)))


def test_an_uploaded_schedule_becomes_an_event_managed_by_the_uploader(app, client, accounts):
    login(client, "alice@example.org")
    answer = _upload(client, SCHEDULE)
    assert answer.status_code == 303
    assert "1 élément créé" in visible_text(client.get(answer.location).text)
    with app.app_context():
        event = db.session.scalars(db.select(Event)).one()
        assert [m.email for m in event.managers] == ["alice@example.org"]
        assert event.rooms[0].name == "Salle Hélène"
    bob = app.test_client()
    login(bob, "bob@example.org")
    refused = _upload(bob, SCHEDULE)
    assert refused.status_code == 400
    assert "vous ne le gérez pas" in visible_text(refused.text)


def test_xml_bombs_and_external_entities_are_refused_and_store_nothing(app, client, accounts):
    login(client, "alice@example.org")
    for data in (BOMB, EXTERNAL):
        answer = _upload(client, data)
        assert answer.status_code == 400
        assert "rien n'a été importé" in visible_text(answer.text)
        assert "DTD" in visible_text(answer.text)
    assert _events(app) == []


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(
    app, client, accounts, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_IMPORT_BYTES", 1024)
    login(client, "alice@example.org")
    answer = _upload(client, SCHEDULE + b" " * 70 * 1024)
    assert answer.status_code == 413
    assert "taille maximale" in visible_text(answer.text)
    assert _events(app) == []

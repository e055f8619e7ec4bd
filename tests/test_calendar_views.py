"""The calendar feeds over HTTP, the links to them, and `eventapp calendar`."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calendars import icaljs
from helpers import visible_text
from werkzeug.http import http_date

from eventapp.demo import DEMO_SLUG
from eventapp.extensions import db
from eventapp.models import Event, EventStatus
from eventapp.programme import event_by_slug

FEED = f"/events/{DEMO_SLUG}/calendar.ics"


def test_programme_feed_is_served_as_text_calendar(client, demo) -> None:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    parsed = icaljs(response.data)
    assert parsed["name"] == "Journée réseau « Les enfants d'abord »"
    assert len(parsed["events"]) == 15


def test_a_client_echoing_the_etag_gets_304(client, demo) -> None:
    first = client.get(FEED)
    etag = first.headers["ETag"]
    again = client.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(FEED, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_if_modified_since_gets_304_until_the_programme_changes(app, client, demo) -> None:
    first = client.get(FEED)
    since = first.headers["Last-Modified"]
    assert client.get(FEED, headers={"If-Modified-Since": since}).status_code == 304
    earlier = http_date(datetime(2015, 1, 1, tzinfo=UTC))
    assert client.get(FEED, headers={"If-Modified-Since": earlier}).status_code == 200

    with app.app_context():
        item = event_by_slug(DEMO_SLUG).items[0]
        item.title = "Accueil, café et viennoiseries"
        item.updated_at = datetime.now(UTC) + timedelta(minutes=5)
        db.session.commit()
    changed = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    summaries = [v["summary"] for v in icaljs(changed.data)["events"]]
    assert "Accueil, café et viennoiseries" in summaries
    assert client.get(FEED, headers={"If-Modified-Since": since}).status_code == 200


def test_item_feed_holds_that_item_only(app, client, demo) -> None:
    with app.app_context():
        item = event_by_slug(DEMO_SLUG).items[3]
        item_id, title = item.id, item.title
    url = f"/events/{DEMO_SLUG}/items/{item_id}.ics"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    (vevent,) = icaljs(response.data)["events"]
    assert vevent["summary"] == title
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_unknown_event_or_item_is_404(app, client, demo) -> None:
    with app.app_context():
        other = Event(
            slug="brouillon",
            title="Pas encore publié",
            starts_at=datetime(2030, 1, 1, 9, tzinfo=UTC),
            ends_at=datetime(2030, 1, 1, 17, tzinfo=UTC),
            status=EventStatus.DRAFT,
        )
        db.session.add(other)
        db.session.commit()
        demo_item = event_by_slug(DEMO_SLUG).items[0].id
    assert client.get("/events/nope/calendar.ics").status_code == 404
    assert client.get("/events/brouillon/calendar.ics").status_code == 404
    assert client.get(f"/events/{DEMO_SLUG}/items/999999.ics").status_code == 404
    assert client.get(f"/events/brouillon/items/{demo_item}.ics").status_code == 404
    assert client.get(f"/events/{DEMO_SLUG}/items/abc.ics").status_code == 404


def test_event_page_offers_subscription_download_and_per_item_links(app, client, demo) -> None:
    html = client.get(f"/events/{DEMO_SLUG}/").text
    assert f'href="webcal://localhost/events/{DEMO_SLUG}/calendar.ics"' in html
    assert f'href="/events/{DEMO_SLUG}/calendar.ics" download' in html
    text = visible_text(html)
    assert "S'abonner au programme" in text and "Ajouter à mon agenda" in text
    with app.app_context():
        items = [(item.id, item.title) for item in event_by_slug(DEMO_SLUG).items]
    links = re.findall(rf'href="(/events/{DEMO_SLUG}/items/(\d+)\.ics)"', html)
    assert sorted(int(item_id) for _, item_id in links) == sorted(item_id for item_id, _ in items)
    for href, item_id in links[:3]:
        response = client.get(href)
        assert response.status_code == 200
        title = dict(items)[int(item_id)]
        assert icaljs(response.data)["events"][0]["summary"] == title


def test_cli_writes_the_programme(app, demo, tmp_path: Path) -> None:
    target = tmp_path / "programme.ics"
    result = app.test_cli_runner().invoke(args=["calendar", DEMO_SLUG, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Programme de « {DEMO_SLUG} » (15 éléments) écrit dans {target}.\n"
    parsed = icaljs(target.read_bytes())
    assert len(parsed["events"]) == 15
    assert parsed["timezones"] == ["Europe/Brussels"]


def test_cli_errors_are_one_line(app, demo, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["calendar", "nope", "-o", str(tmp_path / "x.ics")])
    assert unknown.exit_code == 1
    assert unknown.stderr == "Erreur : aucun événement n'a l'adresse (slug) « nope »\n"
    assert not (tmp_path / "x.ics").exists()
    unwritable = runner.invoke(args=["calendar", DEMO_SLUG, "-o", str(tmp_path / "no" / "x.ics")])
    assert unwritable.exit_code == 1
    assert unwritable.stderr.startswith(
        f"Erreur : impossible d'écrire {tmp_path / 'no' / 'x.ics'} : "
    )
    assert unwritable.stderr.count("\n") == 1


def test_console_script_reports_unknown_slug_without_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("eventapp")
    env = {"EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env |= {"PATH": "/usr/bin:/bin", "EVENTAPP_SECRET_KEY": "x"}
    subprocess.run([script, "db", "upgrade"], env=env, capture_output=True, check=True)
    done = subprocess.run(
        [script, "calendar", "nope", "-o", str(tmp_path / "x.ics")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr == "Erreur : aucun événement n'a l'adresse (slug) « nope »\n"

"""The programme feed is kept as a file per version of the programme: any stored change of
what it shows gives a new feed, equal to one built from scratch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from eventapp.calendar.feed_cache import programme_key
from eventapp.calendar.ics import programme_calendar
from eventapp.export_cache import cache_path, page_cache
from eventapp.extensions import db
from eventapp.models import Event, Speaker, Theme
from eventapp.programme import published_event

URL = "/events/journee-reseau-2015/calendar.ics"


def _fresh(app) -> bytes:
    return programme_calendar(published_event("journee-reseau-2015"), app.config["BASE_URL"])


def test_served_from_one_file_while_nothing_changes(app, client, demo, ctx) -> None:
    """Each worker reads the feed of a version from its file once (the first worker or host
    to serve it wrote it), then serves what it read."""
    first = client.get(URL).data
    assert first == _fresh(app)
    folder = Path(app.config["EXPORTS_DIR"]) / "calendars"
    key = programme_key(published_event("journee-reseau-2015"), app.config["BASE_URL"], lang="fr")
    stored = cache_path(folder, "programme-journee-reseau-2015-fr", key, ".ics")
    assert stored.read_bytes() == first  # other tests' feeds may still be in the folder
    stored.write_bytes(first.replace(b"Salle A", b"Salle X"))
    assert client.get(URL).data == first  # this worker keeps what it read
    page_cache().clear()  # as a worker that has not served this version yet
    assert b"Salle X" in client.get(URL).data  # proves the file is what is served
    stored.unlink()


def test_every_kind_of_change_gives_a_new_feed(app, client, demo, ctx) -> None:
    before = client.get(URL).data
    theme = db.session.scalars(select(Theme).where(Theme.number == 3)).one()
    theme.title = "Coopérer en ville ; entre communes, aussi"  # no item row changes
    db.session.commit()
    after_theme = client.get(URL).data
    assert after_theme != before and after_theme == _fresh(app)
    assert "Coopérer en ville \\; entre communes\\, aussi" in after_theme.decode()

    speaker = db.session.scalars(select(Speaker).where(Speaker.name == "Sylvia Lis")).one()
    speaker.role = "psychologue en chef"
    db.session.commit()
    after_speaker = client.get(URL).data
    assert after_speaker != after_theme and after_speaker == _fresh(app)

    event = db.session.scalars(select(Event)).one()
    event.venue_address = "Rue Neuve 1, 1000 Bruxelles"
    db.session.commit()
    assert client.get(URL).data == _fresh(app)
    assert b"Rue Neuve 1" in client.get(URL).data

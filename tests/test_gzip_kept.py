"""Shared public pages are gzipped once per content and served as the same bytes to every
visitor who asks for gzip, with the validator and the 304 Flask-Compress would give."""

from __future__ import annotations

import gzip

from factories import make_event

from eventapp.extensions import db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _event(app) -> str:
    with app.app_context():
        event = make_event()
        db.session.commit()
        return event.slug


def test_a_public_page_is_gzipped_once_and_answers_304_to_its_gzip_etag(
    app, client, monkeypatch
) -> None:
    slug = _event(app)
    compressed: list[int] = []
    real_compress = gzip.compress

    def counting_compress(data: bytes, *args, **kwargs) -> bytes:
        compressed.append(len(data))
        return real_compress(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "compress", counting_compress)
    plain = client.get(f"/events/{slug}/")
    first = client.get(f"/events/{slug}/", headers=GZIP)
    second = client.get(f"/events/{slug}/", headers=GZIP)
    assert first.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["Vary"]
    assert gzip.decompress(first.data) == plain.data
    assert second.data == first.data, "the same bytes, not compressed again with a new time"
    assert first.headers["ETag"] == f'"{plain.headers["ETag"].strip(chr(34))}:gzip"'
    assert first.headers["Content-Length"] == str(len(first.data))
    again = client.get(f"/events/{slug}/", headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert not again.data
    assert compressed == [len(plain.data)], "compressed once, for the first visitor asking"


def test_a_change_serves_new_gzipped_bytes(app, client) -> None:
    slug = _event(app)
    before = gzip.decompress(client.get(f"/events/{slug}/", headers=GZIP).data)
    with app.app_context():
        from eventapp.models import Event

        event = db.session.scalars(db.select(Event).filter_by(slug=slug)).one()
        event.items[0].title = "Un atelier renommé"
        db.session.commit()
    after = gzip.decompress(client.get(f"/events/{slug}/", headers=GZIP).data)
    assert "Un atelier renommé" not in before.decode()
    assert "Un atelier renommé" in after.decode()


def test_the_programme_calendar_is_shared_and_gzipped_once(app, client, monkeypatch) -> None:
    slug = _event(app)
    compressed: list[int] = []
    real_compress = gzip.compress
    monkeypatch.setattr(
        gzip,
        "compress",
        lambda data, *a, **k: compressed.append(len(data)) or real_compress(data, *a, **k),
    )
    plain = client.get(f"/events/{slug}/calendar.ics")
    zipped = client.get(f"/events/{slug}/calendar.ics", headers=GZIP)
    again = client.get(f"/events/{slug}/calendar.ics", headers=GZIP)
    assert zipped.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert again.data == zipped.data
    assert compressed == [len(plain.data)]
    assert zipped.cache_control.public and zipped.cache_control.no_cache
    revalidated = client.get(
        f"/events/{slug}/calendar.ics", headers={**GZIP, "If-None-Match": zipped.headers["ETag"]}
    )
    assert revalidated.status_code == 304

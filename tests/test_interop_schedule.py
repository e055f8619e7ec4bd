"""schedule.xml / schedule.json out and in: what pretalx, frab, Giggity and ConfClerk exchange."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventapp.extensions import db
from eventapp.interop.files import read_schedule
from eventapp.interop.importer import import_schedule
from eventapp.models import Event, ProgrammeItem, Speaker

XSD = Path(__file__).resolve().parent.parent.parent / "shared" / "schemas" / "schedule.xml.xsd"
XML_URL = "/events/journee-reseau-2015/schedule.xml"
JSON_URL = "/events/journee-reseau-2015/schedule.json"

PRETALX_LIKE = """<?xml version="1.0" encoding="utf-8"?>
<schedule>
  <generator name="pretalx" version="2024.1"/>
  <version>0.3</version>
  <conference>
    <acronym>forum-social-2027</acronym>
    <title>Forum social, édition « Gand »</title>
    <start>2027-03-27</start>
    <end>2027-03-28</end>
    <days>2</days>
    <timeslot_duration>00:05</timeslot_duration>
    <time_zone_name>Europe/Brussels</time_zone_name>
  </conference>
  <day index="1" date="2027-03-27"
       start="2027-03-27T09:00:00+01:00" end="2027-03-27T18:00:00+01:00">
    <room name="Aula Érasme" guid="r1">
      <event guid="c0ffee00-0000-4000-8000-000000000001" id="101">
        <date>2027-03-27T09:30:00+01:00</date>
        <start>09:30</start>
        <duration>01:00</duration>
        <room>Aula Érasme</room>
        <slug>forum-101-ouverture</slug>
        <title>Ouverture ; accueil, café</title>
        <subtitle/>
        <track>Thème : la coopération</track>
        <type>Talk</type>
        <language>fr</language>
        <abstract>Mot d'accueil.</abstract>
        <description/>
        <persons>
          <person id="7">Zoë Van den Brande-Ćosić</person>
          <person id="8">Jean-François Lefèvre</person>
        </persons>
        <links/>
      </event>
      <event guid="c0ffee00-0000-4000-8000-000000000002" id="102">
        <date>2027-03-27T10:00:00+01:00</date>
        <start>10:00</start>
        <duration>00:45</duration>
        <room>Aula Érasme</room>
        <slug>forum-102-chevauchement</slug>
        <title>Atelier qui chevauche</title>
        <track>Thème : la coopération</track>
        <type>Workshop</type>
        <abstract/>
        <persons><person>Zoë Van den Brande-Ćosić</person></persons>
      </event>
    </room>
  </day>
  <day index="2" date="2027-03-28">
    <room name="Salle inconnue">
      <event guid="c0ffee00-0000-4000-8000-000000000003" id="103">
        <start>09:00</start>
        <duration>02:00</duration>
        <title>Dimanche, après le passage à l'heure d'été</title>
        <type>Talk</type>
        <abstract/>
        <persons/>
      </event>
      <event guid="c0ffee00-0000-4000-8000-000000000004" id="104">
        <date>not-a-date</date>
        <duration>01:00</duration>
        <title>Une ligne fautive</title>
        <type>Talk</type>
        <abstract/>
      </event>
    </room>
  </day>
</schedule>
"""


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    schedule, refused = read_schedule(data, "Europe/Brussels")
    return import_schedule(schedule, refused)


@pytest.mark.skipif(not XSD.exists(), reason="../shared/schemas/ is absent on this machine")
def test_demo_schedule_xml_validates_against_the_published_xsd(client, demo) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    answer = client.get(XML_URL)
    assert answer.status_code == 200
    assert answer.mimetype == "application/xml"
    document = etree.fromstring(answer.data)
    assert schema.validate(document), schema.error_log
    rooms = [room.get("name") for room in document.iter("room") if room.get("name")]
    assert rooms[:5] == ["Auditorium", "Salle A", "Salle B", "Salle C", "Salle D"]
    persons = [person.text for person in document.iter("person")]
    assert "Lara De Jacquier" in persons and "Maarten Francois" in persons


def test_demo_schedule_json_has_both_rounds_per_room(client, demo) -> None:
    answer = client.get(JSON_URL)
    assert answer.status_code == 200
    conference = answer.get_json()["schedule"]["conference"]
    assert conference["acronym"] == "journee-reseau-2015"
    assert conference["time_zone_name"] == "Europe/Brussels"
    salle_a = conference["days"][0]["rooms"]["Salle A"]
    assert [item["start"] for item in salle_a] == ["13:00", "14:45"]
    assert salle_a[0]["date"] == "2015-12-01T13:00:00+01:00"
    assert salle_a[0]["duration"] == "01:15"
    assert salle_a[0]["persons"][0]["public_name"] == "Lara De Jacquier"
    assert len(conference["tracks"]) == 4


def test_feeds_answer_304_to_their_etag_and_404_to_unknown_slugs(client, demo) -> None:
    first = client.get(XML_URL)
    again = client.get(XML_URL, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/events/nope/schedule.xml").status_code == 404
    assert client.get("/events/nope/schedule.json").status_code == 404


@pytest.mark.parametrize("url", [XML_URL, JSON_URL])
def test_round_trip_into_the_same_database_changes_nothing(client, demo, ctx, url) -> None:
    exported = client.get(url).data
    report = _import(exported)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 15)
    assert not report.refused
    assert client.get(url).data == exported


@pytest.mark.parametrize("url", [XML_URL, JSON_URL])
def test_round_trip_into_an_empty_database_gives_the_same_document(client, demo, ctx, url) -> None:
    exported = client.get(url).data.decode()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    report = _import(exported)
    assert report.event_created and report.created == 15
    db.session.scalars(select(Event)).one().status = "published"
    db.session.commit()
    again = client.get(url).data.decode()

    def without_row_ids(text: str) -> str:
        text = re.sub(r'(id="|"id": )\d+', r"\1N", text)
        return re.sub(r"(journee-reseau-2015-|#item-)\d+", r"\1N", text)

    assert without_row_ids(again) == without_row_ids(exported)


def test_import_creates_rooms_themes_speakers_and_refuses_bad_lines(ctx) -> None:
    report = _import(PRETALX_LIKE)
    assert report.event_created
    assert (report.created, report.updated) == (3, 0)
    assert len(report.refused) == 1 and "Une ligne fautive" in report.refused[0]
    event = db.session.scalars(select(Event).where(Event.slug == "forum-social-2027")).one()
    assert event.title == "Forum social, édition « Gand »"
    assert event.status.value == "draft"
    assert [room.name for room in event.rooms] == ["Aula Érasme", "Salle inconnue"]
    assert [theme.title for theme in event.themes] == ["Thème : la coopération"]
    by_title = {item.title: item for item in event.items}
    opening = by_title["Ouverture ; accueil, café"]
    assert [s.name for s in opening.speakers] == [
        "Zoë Van den Brande-Ćosić",
        "Jean-François Lefèvre",
    ]
    assert by_title["Atelier qui chevauche"].kind.value == "workshop"
    sunday = by_title["Dimanche, après le passage à l'heure d'été"]
    assert event.local(sunday.starts_at).isoformat() == "2027-03-28T09:00:00+02:00"
    assert sunday.room.name == "Salle inconnue"
    # The same person in two items is one speaker.
    assert _count(Speaker) == 2


def test_reimport_updates_rather_than_duplicates(ctx) -> None:
    _import(PRETALX_LIKE)
    before = _count(ProgrammeItem)
    item = db.session.scalars(
        select(ProgrammeItem).where(ProgrammeItem.guid == "c0ffee00-0000-4000-8000-000000000002")
    ).one()
    sequence = item.sequence
    changed = (
        PRETALX_LIKE.replace("Atelier qui chevauche", "Atelier déplacé")
        .replace("<start>10:00</start>", "<start>11:00</start>")
        .replace("2027-03-27T10:00:00+01:00", "2027-03-27T11:00:00+01:00")
    )
    report = _import(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert _count(ProgrammeItem) == before
    db.session.refresh(item)
    assert item.title == "Atelier déplacé"
    assert item.sequence == sequence + 1
    assert item.event.local(item.starts_at).hour == 11


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<schedule><conference><acronym>&lol2;</acronym></conference></schedule>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<schedule><conference><acronym>x</acronym><title>&xxe;</title></conference></schedule>"""


@pytest.mark.parametrize("payload", [BOMB, EXTERNAL, "<schedule><conference>", "{not json"])
def test_hostile_or_broken_files_are_refused_and_store_nothing(app, ctx, tmp_path, payload) -> None:
    path = tmp_path / "schedule.xml"
    path.write_text(payload)
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert result.output.startswith("Erreur : ")
    assert "Traceback" not in result.output
    assert _count(Event) == 0


def test_import_command_reports_and_refuses_oversized_files(app, ctx, tmp_path) -> None:
    path = tmp_path / "schedule.xml"
    path.write_text(PRETALX_LIKE)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Événement « forum-social-2027 » créé : 3 éléments créés, 0 mis à jour" in result.output
    assert (
        "Refusé : Une ligne fautive : la date 'not-a-date' n'est pas au format ISO 8601"
        in result.output
    )
    again = runner.invoke(args=["import", str(path)])
    assert (
        "Événement « forum-social-2027 » mis à jour : 0 éléments créés, 0 mis à jour, "
        "3 inchangés, 1 refusé." in again.output
    )
    missing = runner.invoke(args=["import", str(tmp_path / "absent.xml")])
    assert missing.exit_code != 0 and "impossible de lire" in missing.output
    app.config["MAX_IMPORT_BYTES"] = 1024
    try:
        big = runner.invoke(args=["import", str(path)])
    finally:
        app.config.pop("MAX_IMPORT_BYTES")
    assert big.exit_code != 0 and "la limite est de 0 Mo" in big.output


def test_json_import_of_another_timezone(ctx) -> None:
    document = {
        "schedule": {
            "conference": {
                "acronym": "montreal-2027",
                "title": "Rencontre à Montréal",
                "time_zone_name": "America/Montreal",
                "start": "2027-06-01",
                "end": "2027-06-01",
                "days": [
                    {
                        "index": 1,
                        "date": "2027-06-01",
                        "rooms": {
                            "Salle 1": [
                                {
                                    "guid": "g1",
                                    "id": 1,
                                    "start": "09:00",
                                    "duration": "00:30",
                                    "title": "Bienvenue",
                                    "type": "Talk",
                                    "persons": [{"public_name": "Élodie Tremblay"}],
                                }
                            ]
                        },
                    }
                ],
            }
        }
    }
    report = _import(json.dumps(document))
    assert report.created == 1
    item = db.session.scalars(select(ProgrammeItem)).one()
    assert item.starts_at.isoformat() == "2027-06-01T13:00:00+00:00"
    assert item.event.timezone == "America/Montreal"


def test_reimport_with_speakers_reordered(ctx) -> None:
    _import(PRETALX_LIKE)
    zoe = '<person id="7">Zoë Van den Brande-Ćosić</person>'
    jf = '<person id="8">Jean-François Lefèvre</person>'
    gap = "\n          "
    swapped = PRETALX_LIKE.replace(zoe + gap + jf, jf + gap + zoe)
    assert swapped != PRETALX_LIKE
    report = _import(swapped)
    assert report.updated == 1
    item = db.session.scalars(
        select(ProgrammeItem).where(ProgrammeItem.guid == "c0ffee00-0000-4000-8000-000000000001")
    ).one()
    assert [s.name for s in item.speakers] == ["Jean-François Lefèvre", "Zoë Van den Brande-Ćosić"]
    assert item.sequence == 1

"""Imports given bad input: oversized CSV fields, duplicate columns, JSON nested too deep,
values longer than their column, control characters, times out of range. Each is refused
with a message that says what and where, on the upload pages and at the command line (one
line on stderr, a non-zero exit), and stores nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from factories import make_event
from helpers import csrf_token, visible_text
from regutil import registration_count
from sqlalchemy import func, select
from test_admin_support import PASSWORD, login

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db
from eventapp.interop.files import read_schedule
from eventapp.interop.importer import import_schedule
from eventapp.models import Event, ProgrammeItem, Room, Speaker, Theme, User

REFUSED = "Fichier refusé, rien n'a été importé"
SCHEDULE_URL = "/admin/import/schedule"


# --- helpers ---------------------------------------------------------------------------


def _xml(
    *,
    conference: str = "Journée importée",
    guid: str = "g1",
    title: str = "Atelier",
    room: str = "Salle 1",
    person: str = "Ana Lopez",
    date: str = "2031-05-10T10:00:00",
    duration: str = "01:00",
    abstract: str = "",
) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<schedule><conference><acronym>fichier-importe</acronym><title>{escape(conference)}</title>
<time_zone_name>Europe/Brussels</time_zone_name></conference>
<day date="2031-05-10"><room name={quoteattr(room)}>
<event guid={quoteattr(guid)} id="1"><title>{escape(title)}</title><date>{escape(date)}</date>
<duration>{escape(duration)}</duration><room>{escape(room)}</room><type>Talk</type>
<abstract>{escape(abstract)}</abstract><persons><person>{escape(person)}</person></persons>
</event></room></day></schedule>""".encode()


def _json(
    *,
    title: str = "Atelier",
    room: str = "Salle 1",
    person: str = "Ana Lopez",
    track: str = "",
    abstract: str = "",
    date: str = "2031-05-10T10:00:00+02:00",
    duration: str = "01:00",
) -> bytes:
    event = {
        "guid": "g1",
        "id": 1,
        "date": date,
        "duration": duration,
        "room": room,
        "title": title,
        "track": track,
        "type": "Talk",
        "abstract": abstract,
        "persons": [{"public_name": person}],
    }
    document = {
        "schedule": {
            "conference": {
                "acronym": "fichier-importe",
                "title": "Journée importée",
                "time_zone_name": "Europe/Brussels",
                "start": "2031-05-10",
                "end": "2031-05-10",
                "days": [{"index": 1, "date": "2031-05-10", "rooms": {room: [event]}}],
            }
        }
    }
    return json.dumps(document).encode()


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def organiser(app, client):
    with app.app_context():
        create_organiser("alice@example.org", PASSWORD)
        db.session.remove()
    assert login(client, "alice@example.org").status_code == 303
    return client


def _upload_schedule(client, data: bytes, name: str = "schedule.xml"):
    page = client.get(SCHEDULE_URL)
    return client.post(
        SCHEDULE_URL,
        data={
            "csrf_token": csrf_token(page.text),
            "timezone": "Europe/Brussels",
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def _cli(app, *args: str):
    """As `eventapp ARGS`: the eventapp script runs every command in an app context."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
    return result


def _one_error_line(result) -> str:
    """The command failed with one line on stderr, "Erreur : …" (French), and no traceback."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur : ")
    return lines[0]


def _counts(app) -> tuple[int, ...]:
    with app.app_context():
        counted = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Event, ProgrammeItem, Room, Theme, Speaker)
        )
        db.session.remove()
    return counted


def _refused_on_the_web(app, organiser, data: bytes, *expected: str, name: str = "s.xml"):
    before = _counts(app)
    answer = _upload_schedule(organiser, data, name)
    assert answer.status_code == 400
    text = visible_text(answer.text)
    assert REFUSED in text
    for words in expected:
        assert words in text, text
    assert _counts(app) == before


def _refused_at_the_command_line(app, tmp_path: Path, data: bytes, *expected: str):
    before = _counts(app)
    path = tmp_path / "schedule"
    path.write_bytes(data)
    line = _one_error_line(_cli(app, "import", str(path)))
    assert line.startswith(f"Erreur : {path} : "), line
    for words in expected:
        assert words in line, line
    assert _counts(app) == before


# --- schedules: depth, length, control characters, times --------------------------------


def test_a_schedule_json_nested_too_deep_is_refused_on_the_web_and_at_the_command_line(
    app, organiser, tmp_path
) -> None:
    _refused_on_the_web(
        app, organiser, DEEP_JSON, "le JSON est imbriqué trop profondément", name="s.json"
    )
    _refused_at_the_command_line(app, tmp_path, DEEP_JSON, "le JSON est imbriqué trop profondément")


def test_a_guid_longer_than_64_characters_is_refused_with_the_limit(
    app, organiser, tmp_path
) -> None:
    long_guid = "g" * 100
    _refused_on_the_web(
        app, organiser, _xml(guid=long_guid), "le guid", "compte 100 caractères", "64"
    )
    _refused_at_the_command_line(
        app, tmp_path, _xml(guid=long_guid), "le guid", "la limite est de 64"
    )
    # A guid of 64 characters is kept whole: a re-import finds the same item again.
    assert _upload_schedule(organiser, _xml(guid="g" * 64)).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(ProgrammeItem.guid)).all() == ["g" * 64]


@pytest.mark.parametrize(
    ("values", "element", "limit"),
    [
        ({"title": "T" * 301}, "l'élément 'g1' : le titre", 300),
        ({"room": "R" * 121}, "la salle", 120),
        ({"person": "P" * 201}, "l'intervenant", 200),
        ({"conference": "C" * 201}, "la conférence : le titre de la conférence", 200),
    ],
)
def test_text_longer_than_its_column_refuses_the_file_rather_than_being_cut(
    app, organiser, tmp_path, values, element, limit
) -> None:
    data = _xml(**values)
    _refused_on_the_web(app, organiser, data, element, f"la limite est de {limit}")
    _refused_at_the_command_line(app, tmp_path, data, element, f"la limite est de {limit}")
    # At the limit itself the text is stored whole.
    ((key, value),) = values.items()
    assert _upload_schedule(organiser, _xml(**{key: value[:limit]})).status_code == 303
    with app.app_context():
        event = db.session.scalars(select(Event)).one()
        stored = {
            "title": event.items[0].title,
            "room": event.rooms[0].name,
            "person": event.items[0].speakers[0].name,
            "conference": event.title,
        }[key]
        assert stored == value[:limit]


def test_a_too_long_title_in_a_json_schedule_is_refused_too(app, organiser) -> None:
    _refused_on_the_web(app, organiser, _json(track="T" * 301), "le thème", "la limite est de 300")


@pytest.mark.parametrize(
    ("values", "element", "character"),
    [
        ({"title": "Atelier\x00nul"}, "le titre 'Atelier\\x00nul'", "U+0000"),
        (
            {"title": "Atelier\x1b[31m"},
            "le titre",
            "contient le caractère de contrôle U+001B ; ce doit être une seule ligne",
        ),
        ({"room": "Salle\x07"}, "la salle", "U+0007"),
        ({"person": "Ana\nLopez"}, "l'intervenant", "U+000A"),
        ({"track": "Piste\tune"}, "le thème", "U+0009"),
        ({"abstract": "Résumé\x00"}, "le résumé", "U+0000"),
        ({"abstract": "Ligne\x0bverticale"}, "le résumé", "U+000B"),
    ],
)
def test_control_characters_in_a_json_schedule_are_refused_naming_the_element(
    app, organiser, tmp_path, values, element, character
) -> None:
    data = _json(**values)
    _refused_on_the_web(app, organiser, data, element, character, name="s.json")
    _refused_at_the_command_line(app, tmp_path, data, element, character)


def test_control_characters_that_xml_allows_are_refused_in_one_line_values(app, organiser) -> None:
    # XML 1.0 forbids most C0 characters, but lets DEL and the C1 controls through.
    _refused_on_the_web(app, organiser, _xml(title="Ate\x85lier"), "le titre", "U+0085")
    _refused_on_the_web(app, organiser, _xml(person="A\x7fna"), "l'intervenant", "U+007F")


def test_an_abstract_keeps_its_tabs_and_line_breaks(app, organiser) -> None:
    abstract = "Premier paragraphe.\n\n\tSecond,\r\nsur deux lignes."
    assert _upload_schedule(organiser, _json(abstract=abstract), "s.json").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(ProgrammeItem.description_md)).one() == abstract


@pytest.mark.parametrize(
    ("date", "duration"),
    [
        ("9999-12-31T20:00:00", "999:00"),  # the end overflows Python's datetime
        ("0001-01-01T00:30:00+14:00", "01:00"),  # so does the start, in UTC
        ("9999-12-31T20:00:00", "01:00"),  # representable, but far beyond 2200
        ("2200-12-31T23:30:00", "01:00"),  # ends in 2201
        ("1969-12-31T22:00:00+00:00", "01:00"),
    ],
)
def test_times_outside_1970_to_2200_are_refused_on_the_web_and_at_the_command_line(
    app, organiser, tmp_path, date, duration
) -> None:
    data = _xml(date=date, duration=duration)
    _refused_on_the_web(app, organiser, data, "tombe hors des années 1970 à 2200")
    _refused_at_the_command_line(app, tmp_path, data, "tombe hors des années 1970 à 2200")


def test_a_json_date_that_overflows_is_refused(app, organiser) -> None:
    data = _json(date="9999-12-31T23:00:00+00:00", duration="999:00")
    _refused_on_the_web(app, organiser, data, "tombe hors des années 1970 à 2200", name="s.json")


# --- schedules: the organiser's language ------------------------------------------------

CONTROL_IN_TITLE = (
    "la conférence : le titre de la conférence 'Journée\\x1b[31m' contient le caractère de "
    "contrôle U+001B ; ce doit être une seule ligne de texte"
)


def _json_with_control_in_title() -> bytes:
    document = json.loads(_json())
    document["schedule"]["conference"]["title"] = "Journée\x1b[31m"
    return json.dumps(document).encode()


def _interop_message_ids() -> set[str]:
    """The message ids Babel extracts from the schedule import (as the catalogues will)."""
    from babel.messages.extract import extract_from_file

    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    folder = Path(__file__).resolve().parent.parent / "eventapp"
    ids: set[str] = set()
    for name in (
        "interop/schedule.py",
        "interop/frab_xml.py",
        "interop/c3voc_json.py",
        "interop/importer.py",
        "admin/schedule_command.py",
    ):
        for _line, message, _comments, _context in extract_from_file(
            "python", str(folder / name), keywords=keywords
        ):
            ids.update(message if isinstance(message, tuple) else (message,))
    return ids


def test_a_schedule_refusal_on_a_french_page_is_the_french_message(app, organiser) -> None:
    data = _json_with_control_in_title()
    _refused_on_the_web(app, organiser, data, f"{REFUSED} : {CONTROL_IN_TITLE}", name="s.json")
    ids = _interop_message_ids()
    assert "la conférence" in ids and "le titre de la conférence" in ids
    assert (
        "%(where)s : %(element)s %(value)s contient le caractère de contrôle %(character)s ; "
        "ce doit être une seule ligne de texte" in ids
    )


def test_a_schedule_refusal_on_an_english_page_follows_the_english_catalogue(
    app, organiser
) -> None:
    """The reason is translated when it is raised, in the page's language: what the English
    catalogue gives (the French id until the lead translates it), inside the English frame."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    english = {"Accept-Language": "en"}
    page = organiser.get(SCHEDULE_URL, headers=english)
    answer = organiser.post(
        SCHEDULE_URL,
        headers=english,
        data={
            "csrf_token": csrf_token(page.text),
            "timezone": "Europe/Brussels",
            "file": (io.BytesIO(_json_with_control_in_title()), "s.json"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    with app.test_request_context(), force_locale("en"):
        reason = _(
            "%(where)s : %(element)s %(value)s contient le caractère de contrôle "
            "%(character)s ; ce doit être une seule ligne de texte",
            where=_("la conférence"),
            element=_("le titre de la conférence"),
            value="'Journée\\x1b[31m'",
            character="U+001B",
        )
    text = visible_text(answer.text)
    assert f"File rejected, nothing was imported: {reason}" in text, text
    assert _counts(app) == (0, 0, 0, 0, 0)


def test_the_schedule_import_reports_in_french_on_the_page(app, organiser) -> None:
    document = json.loads(_json())
    rooms = document["schedule"]["conference"]["days"][0]["rooms"]
    rooms["Salle 1"].append({"guid": "g2", "title": "Introduction", "duration": "00:30"})
    rooms["Salle 1"].append(
        {"guid": "g3", "title": "Trop long", "date": "2031-05-10T11:00", "duration": "99999:00"}
    )
    answer = _upload_schedule(organiser, json.dumps(document).encode(), "s.json")
    assert answer.status_code == 303
    text = visible_text(organiser.get(answer.headers["Location"]).text)
    assert (
        "Événement « fichier-importe » créé : 1 élément créé, 0 mis à jour, 0 inchangés, "
        "2 refusés." in text
    ), text
    assert "Refusé : Introduction : ni date ni heure de début" in text
    assert "Refusé : Trop long : la durée '99999:00' n'est pas au format HH:MM" in text


def test_a_refused_reimport_leaves_the_existing_event_as_it_was(app, organiser) -> None:
    with app.app_context():
        schedule, refused = read_schedule(_xml(title="Atelier d'origine"), "Europe/Brussels")
        import_schedule(schedule, refused)
        event = db.session.scalars(select(Event)).one()
        event.managers = [db.session.scalars(select(User)).one()]
        db.session.commit()
        db.session.remove()
    # Another title for the same item, and a room name over the limit: nothing changes.
    data = _xml(title="Atelier renommé", room="R" * 121)
    _refused_on_the_web(app, organiser, data, "la salle", "la limite est de 120")
    with app.app_context():
        assert db.session.scalars(select(ProgrammeItem.title)).all() == ["Atelier d'origine"]
        assert db.session.scalars(select(Room.name)).all() == ["Salle 1"]


# --- registrations CSV: field limit, duplicate columns ----------------------------------


def _registrations_page(app, client) -> str:
    with app.app_context():
        event = make_event(rounds=1, themes=2)
        event_id = event.id
        alice = create_organiser("alice@example.org", PASSWORD)
        event.managers = [db.session.get(User, alice.id)]
        db.session.commit()
        db.session.remove()
    assert login(client, "alice@example.org").status_code == 303
    return f"/admin/events/{event_id}/registrations/import"


def _upload_csv(client, url: str, data: bytes, dry_run: bool = False):
    form = {
        "csrf_token": csrf_token(client.get(url).text),
        "file": (io.BytesIO(data), "inscrits.csv"),
    }
    if dry_run:
        form["dry_run"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


HUGE_FIELD = ("first_name,last_name,email\nAna," + "B" * 200_000 + ",ana@example.org\n").encode()
HUGE_HEADER = ("first_name,last_name,email," + "x" * 200_000 + "\n").encode()
TWO_EMAILS = b"first_name,last_name,email,email\nAna,Lopez,ana@example.org,other@example.org\n"


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (HUGE_FIELD, "ligne 2 : un champ dépasse la limite de 131072 caractères"),
        (HUGE_HEADER, "ligne 1 : un champ dépasse la limite de 131072 caractères"),
        (
            TWO_EMAILS,
            "la ligne d'en-tête nomme la colonne email (Adresse e-mail) plus d'une fois",
        ),
    ],
)
def test_a_bad_registrations_csv_is_refused_on_the_upload_page(
    app, client, data, expected, dry_run
) -> None:
    url = _registrations_page(app, client)
    answer = _upload_csv(client, url, data, dry_run=dry_run)
    assert answer.status_code == 400
    text = visible_text(answer.text)
    assert f"{REFUSED} : {expected}" in text
    assert "Import terminé" not in text
    assert registration_count(app) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (HUGE_FIELD, "ligne 2 : un champ dépasse la limite de 131072 caractères"),
        (TWO_EMAILS, "nomme la colonne email (Adresse e-mail) plus d'une fois"),
    ],
)
def test_a_bad_registrations_csv_is_one_error_line_at_the_command_line(
    app, tmp_path, data, expected
) -> None:
    with app.app_context():
        make_event(rounds=1, themes=2)
        db.session.remove()
    path = tmp_path / "inscrits.csv"
    path.write_bytes(data)
    line = _one_error_line(_cli(app, "registrations", "import", "journee-ouverte", str(path)))
    assert line.startswith(f"Erreur : {path} : "), line
    assert expected in line
    assert registration_count(app) == 0


def test_a_refused_event_is_reported_on_one_short_line(app, tmp_path) -> None:
    """An event the file cannot give (here: no duration) is left out with its reason; its
    title is shown escaped and cut, so that a hostile title cannot flood the report."""
    document = json.loads(_json())
    day = document["schedule"]["conference"]["days"][0]
    day["rooms"]["Salle 1"].append({"guid": "g2", "title": "Deux\nlignes" + "x" * 5000})
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(document))
    result = _cli(app, "import", str(path))
    assert result.exit_code == 0, result.output
    refused = [line for line in result.stdout.splitlines() if "Refusé :" in line]
    assert len(refused) == 1
    assert refused[0].startswith("  Refusé : Deux\\nlignesxxx")
    assert len(refused[0]) < 250
    assert "Événement « fichier-importe » créé : 1 élément créé, 0 mis à jour" in result.stdout


def test_an_id_that_is_not_ascii_digits_is_ignored_not_a_crash() -> None:
    """ "²" passes str.isdigit but not int(): the item is read, its id left unknown."""
    schedule, refused = read_schedule(
        _xml().replace(b'id="1"', 'id="²"'.encode()), "Europe/Brussels"
    )
    assert not refused
    assert [(item.title, item.id) for item in schedule.items] == [("Atelier", 0)]

"""Findings of the code review of issue 18 (point 7), each proved by what a user notices."""

from __future__ import annotations

import importlib
import pkgutil
import time

import pytest
from calendars import read_vobject
from flask_wtf import FlaskForm
from sqlalchemy import select
from test_admin_bad_input import _count, _error, _item, event_id_fixture  # noqa: F401
from test_admin_support import accounts_fixture, post  # noqa: F401
from werkzeug.datastructures import MultiDict
from wtforms import StringField

import eventapp.admin
from eventapp.admin.builder import resolve_speakers
from eventapp.extensions import db
from eventapp.interop.files import read_schedule
from eventapp.interop.importer import import_schedule
from eventapp.models import Event, EventStatus, ProgrammeItem

SCHEDULE_IN = """<?xml version="1.0" encoding="utf-8"?>
<schedule>
  <conference>
    <acronym>journee-{code}</acronym>
    <title>Journée en langue {code}</title>
    <start>2027-03-27</start>
    <end>2027-03-27</end>
    <time_zone_name>Europe/Brussels</time_zone_name>
  </conference>
  <day index="1" date="2027-03-27">
    <room name="Aula">
      <event guid="c0ffee00-0000-4000-8000-0000000000aa" id="1">
        <date>2027-03-27T09:30:00+01:00</date>
        <start>09:30</start>
        <duration>01:00</duration>
        <title>Ouverture</title>
        <type>Talk</type>
        <language>{code}</language>
        <abstract/>
      </event>
    </room>
  </day>
</schedule>
"""


@pytest.mark.parametrize(("code", "shown"), [("zz", "fr"), ("nl-BE", "nl"), ("x", "fr")])
def test_an_imported_schedule_in_an_unknown_language_still_has_a_calendar(
    client, ctx, code: str, shown: str
) -> None:
    schedule, refused = read_schedule(SCHEDULE_IN.format(code=code).encode(), "Europe/Brussels")
    report = import_schedule(schedule, refused)
    event = db.session.scalars(select(Event).where(Event.slug == report.event_slug)).one()
    event.status = EventStatus.PUBLISHED
    db.session.commit()

    response = client.get(f"/events/{event.slug}/calendar.ics")

    assert response.status_code == 200
    calendar = read_vobject(response.data)
    assert [vevent.summary.value for vevent in calendar.vevent_list] == ["Ouverture"]
    assert calendar.prodid.value.endswith(f"//{shown.upper()}")


# --- 7b: the speakers box, and a length limit on every organiser text field --------------


def test_a_long_run_of_spaces_in_the_speakers_box_is_read_in_linear_time(ctx) -> None:
    line = "Ada" + " " * 50_000 + "Lovelace"  # the former pattern took seconds on this
    started = time.perf_counter()
    found, problems = resolve_speakers(line)
    assert time.perf_counter() - started < 0.5
    assert problems == [f"Nom trop long (200 caractères au plus) : « {line[:40]}… »."]
    assert found == []


def test_a_500_kb_speakers_box_is_refused_at_once_and_stores_nothing(app, client, event_id):
    url = f"/admin/events/{event_id}/items/new"
    items = _count(app, ProgrammeItem)
    box = "Ada Lovelace" + " " * 500_000 + "x\nGrace Hopper"
    started = time.perf_counter()
    page = post(client, url, _item(speakers=box), token_from=url)
    assert time.perf_counter() - started < 5
    assert page.status_code == 400
    assert _error(page, "speakers") == "Texte trop long : 20 000 caractères au plus."
    assert _count(app, ProgrammeItem) == items


def _organiser_forms() -> list[type[FlaskForm]]:
    """Every form class of the organiser area (eventapp.admin and its modules)."""
    forms: dict[str, type[FlaskForm]] = {}
    for module in pkgutil.iter_modules(eventapp.admin.__path__, "eventapp.admin."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, FlaskForm)
                and value.__module__.startswith("eventapp.admin")
            ):
                forms[f"{value.__module__}.{value.__qualname__}"] = value
    return [forms[name] for name in sorted(forms)]


def test_every_text_field_of_every_organiser_form_refuses_a_megabyte(app) -> None:
    huge = "x" * 1_000_000
    checked, unlimited = 0, []
    with app.test_request_context(method="POST"):
        for form_class in _organiser_forms():
            form = form_class(meta={"csrf": False})
            for field in form:
                if not isinstance(field, StringField):  # text, text areas, e-mail, hidden…
                    continue
                field.process(MultiDict({field.name: huge}))
                checked += 1
                inline = getattr(type(form), f"validate_{field.name}", None)  # as form.validate()
                if field.validate(form, [inline] if inline else []) or not field.errors:
                    unlimited.append(f"{form_class.__name__}.{field.name}")
    assert checked > 30  # the forms were found
    assert unlimited == [], " ".join(unlimited)

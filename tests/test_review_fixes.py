"""Findings of the code review of issue 18 (point 7), each proved by what a user notices."""

from __future__ import annotations

import pytest
from calendars import read_vobject
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.interop.cli import read_schedule
from eventapp.interop.importer import import_schedule
from eventapp.models import Event, EventStatus

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

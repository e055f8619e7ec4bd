"""Calendars: iCalendar feeds, one item's calendar, a person's agenda and iTIP invitations.

The builders in :mod:`eventapp.calendar.ics` are pure functions of the models that return
bytes; :mod:`eventapp.calendar.changes` keeps each item's SEQUENCE growing with every change
a calendar client must see; :mod:`eventapp.calendar.notify` mails invitations and
updates. The feeds are served by :mod:`eventapp.public.calendars`.
"""

from eventapp.calendar.ics import (
    Attendee,
    Method,
    agenda_items,
    invitation,
    item_calendar,
    item_uid,
    item_vevent,
    personal_calendar,
    programme_calendar,
)

__all__ = [
    "Attendee",
    "Method",
    "agenda_items",
    "invitation",
    "item_calendar",
    "item_uid",
    "item_vevent",
    "personal_calendar",
    "programme_calendar",
]

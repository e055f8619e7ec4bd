"""Organisers' API, with a personal bearer token: events, rooms, themes, speakers, programme
items, registrations (list, export, cancel, confirm, move) and check-in.

Every rule comes from the organiser area's and the registration service's own functions;
an event the token's owner does not manage answers 404, as in the organiser area. The
blueprint is made in eventapp.api.organiser.blueprint; each module adds its resource.
"""

from eventapp.api.organiser import events, programme, registrations  # noqa: F401
from eventapp.api.organiser.blueprint import blp

__all__ = ["blp"]

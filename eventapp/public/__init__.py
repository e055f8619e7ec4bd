"""Public blueprint: the events list, event pages and participant self-service."""

from flask import Blueprint

bp = Blueprint("public", __name__)

import eventapp.public.registration  # noqa: E402, F401
from eventapp.public import views  # noqa: E402, F401

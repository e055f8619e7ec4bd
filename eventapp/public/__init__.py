"""Public blueprint: the events list, event pages and participant self-service; the
calendar feeds (eventapp.public.calendars) have a blueprint of their own."""

from eventapp.public import registration, views  # noqa: F401  (each adds its pages)
from eventapp.public.blueprint import bp

__all__ = ["bp"]

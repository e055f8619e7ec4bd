"""Every model, imported here so that Alembic and the app see the whole schema."""

from eventapp.models.api_token import ApiToken
from eventapp.models.audit import AuditEntry
from eventapp.models.event import (
    Event,
    EventStatus,
    ItemKind,
    ItemSpeaker,
    ProgrammeItem,
    Room,
    Speaker,
    Theme,
)
from eventapp.models.mailing import SentMailing
from eventapp.models.outbox import OutboxMessage, OutboxStatus
from eventapp.models.registration import Registration, RegistrationChoice, RegistrationStatus
from eventapp.models.user import RecoveryCode, SiteSetting, User, event_manager
from eventapp.models.version import EventVersion

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Event",
    "EventVersion",
    "EventStatus",
    "ItemKind",
    "ItemSpeaker",
    "OutboxMessage",
    "OutboxStatus",
    "ProgrammeItem",
    "Registration",
    "RegistrationChoice",
    "RegistrationStatus",
    "RecoveryCode",
    "Room",
    "SentMailing",
    "SiteSetting",
    "Speaker",
    "Theme",
    "User",
    "event_manager",
]

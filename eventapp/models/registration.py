"""The registration aggregate: a participant's registration and their workshop choices."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.extensions import db
from eventapp.models.event import Event, ProgrammeItem, _enum
from eventapp.models.types import UTCDateTime, utcnow

TOKEN_LOOKUP_LENGTH = 12


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    # Ranked preferences given, no seat yet: the allocation (eventapp.allocation) decides.
    PENDING = "pending"


class Registration(db.Model):
    """One person registered to one event.

    ``token`` is the secret of the participant's link ``/r/<token>/``; it is found by its
    first characters (``token_lookup``, indexed) and then compared in constant time.
    ``email_key`` (the address in lower case) is unique per event and emptied on erasure.
    ``waitlist_rank`` orders the waiting list of the event: it is given under the event's
    lock, so that ranks follow the order in which registrations were accepted.
    """

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "email_key"),
        UniqueConstraint("event_id", "submission_key", name="uq_registration_submission"),
        Index("ix_registration_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    token_lookup: Mapped[str] = mapped_column(String(TOKEN_LOOKUP_LENGTH), index=True)
    submission_key: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "registration_status")
    )
    waitlist_rank: Mapped[int | None]
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked present on the day (check-in); attendance certificates are for these people.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The SEQUENCE of each item as last mailed to this person, {"item id": [offset, last
    # sent]} (eventapp.calendar.notify.assign_sequences); NULL before any invitation.
    calendar_sequences: Mapped[dict | None] = mapped_column(JSON)
    # When the link was last mailed again to an address asking to register a second time
    # (at most once an hour; eventapp.registration.service.register).
    link_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the address awaits confirmation (an event whose registrants confirm their
    # address): the secret of the link mailed to it. NULL once confirmed, or never asked.
    confirm_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # In preferences mode: the theme keys ranked, best first (a theme's number as text,
    # "item-<id>" for a workshop without theme); NULL in first-come mode.
    preferences: Mapped[list | None] = mapped_column(JSON)
    # Workshop ids an organiser pinned this person to (speakers, facilitators): the
    # allocation seats them there; NULL when none.
    pins: Mapped[list | None] = mapped_column(JSON)

    event: Mapped[Event] = relationship()
    choices: Mapped[list[RegistrationChoice]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def awaits_confirmation(self) -> bool:
        """The address has not been confirmed yet: the seat is held, the page read-only."""
        return self.confirm_token is not None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


class RegistrationChoice(db.Model):
    """The workshop a registration picked in one round (parallel block)."""

    __tablename__ = "registration_choice"
    __table_args__ = (UniqueConstraint("registration_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("programme_item.id", ondelete="CASCADE"), index=True
    )

    registration: Mapped[Registration] = relationship(back_populates="choices")
    item: Mapped[ProgrammeItem] = relationship()

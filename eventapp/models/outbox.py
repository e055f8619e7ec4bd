"""The outbox: every mail the application sends is first a row here."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.extensions import db
from eventapp.models.event import _enum
from eventapp.models.types import UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # can never be built or sent (last_error says why): not retried


class OutboxMessage(db.Model):
    """A mail waiting for delivery (``queued``), delivered (``sent``), or ``failed`` for
    good (it cannot be built, or the server refused its recipient for good).

    A failed delivery leaves the row queued with ``last_error`` and a later
    ``next_attempt_at`` (back-off); a sender claims a row by moving ``next_attempt_at``
    forward in one conditional UPDATE, so two senders never deliver the same row.

    ``next_attempt_at`` is also the "not before" of a debounced calendar update: while it
    waits, such a row holds a ``pending_key`` (unique), so that each new change of the
    programme pushes the one waiting row of that person forward instead of adding a row;
    the claim clears the key. ``item_ids`` lists the programme items a calendar mail is
    about (comma-separated), when the mail is built at delivery time.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    sender: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    item_ids: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"

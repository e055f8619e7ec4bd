"""The audit trail of an event: who did what and when (eventapp.audit writes it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.extensions import db
from eventapp.models.types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One action on an event. The actor's address is kept as it was at the time (the
    account may change or go); the subject is a kind, an id and a label as they were
    (a registration's label is emptied of the person's data when they are erased)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_event_id_id", "event_id", "id"),
        # An erasure finds the person's entries (eventapp.audit.forget_registrations).
        Index("ix_audit_entry_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    # Where it came from: "admin" (organiser area), "api" (a token), "participant" (their
    # own page), "system" (the command line).
    via: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(60))
    subject_kind: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None]
    subject_label: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} event={self.event_id} {self.action}>"

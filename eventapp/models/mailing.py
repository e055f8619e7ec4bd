"""The organisers' messages to participants, one row per message sent (eventapp.admin.mailing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.extensions import db
from eventapp.models.types import UTCDateTime, utcnow


class SentMailing(db.Model):
    """A message an organiser sent: ``submission_key`` is the one-time key of the preview
    it was sent from (unique), so that the same preview sent twice (a double click, a
    reload) queues the message once."""

    __tablename__ = "sent_mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    audience: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SentMailing {self.id} event={self.event_id} to={self.recipients}>"

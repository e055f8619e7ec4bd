"""Personal API tokens of organisers: only a SHA-256 of the secret is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.extensions import db
from eventapp.models.types import UTCDateTime, utcnow
from eventapp.models.user import User


class ApiToken(db.Model):
    """A bearer token of an organiser. The secret (256 random bits) is shown once at
    creation; ``secret_hash`` is its SHA-256, looked up directly (a random secret needs no
    slow hash). A revoked token stays listed, with the time it was revoked."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in the list so that an organiser recognises a token.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r}>"

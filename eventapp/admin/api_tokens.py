"""Organiser API tokens: creating, revoking, and finding the account behind a bearer token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import ApiToken, User
from eventapp.models.types import utcnow

TOKEN_PREFIX = "evt_"  # noqa: S105  (a visible marker, not a secret)
NAME_MAX = 100


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class NewToken:
    """A token just made: ``secret`` exists only here, to be shown once."""

    token: ApiToken
    secret: str


def create_token(user: User, name: str) -> NewToken:
    """A new token for the account (committed); its secret is 256 random bits."""
    name = name.strip()[:NAME_MAX]
    if not name:
        raise ValueError("a token needs a name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        secret_hash=hash_secret(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
    )
    db.session.add(token)
    db.session.commit()
    return NewToken(token, secret)


def user_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def user_for_secret(secret: str) -> User | None:
    """The active account owning this live token (its last use noted), or None."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret))
    ).first()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user

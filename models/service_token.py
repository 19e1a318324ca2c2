"""Service tokens: named, long-lived bearer tokens of integrations, kept only as a SHA-256 digest."""
import hashlib
import re
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.clock import utcnow

TOKEN_PREFIX = "tsk_"
"""Marks a bearer token as a service token (a JWT starts with 'eyJ'), so one lookup decides which it is."""
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,47}$")


class ServiceToken(SQLModel, table=True):
    """The digest of one service token and its lifetime; the principal it acts as is its service-account person."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


def is_service_token(bearer: str) -> bool:
    """True when a bearer token is a service token rather than a signed access token."""
    return bearer.startswith(TOKEN_PREFIX)


def token_digest(token: str) -> str:
    """The stored form of a token: hex SHA-256 (the secret is high-entropy, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def name_problem(name: str) -> str | None:
    """Why a token name is unusable, or None: 3-48 characters of a-z, 0-9, '.', '_', '-'."""
    if NAME_PATTERN.fullmatch(name):
        return None
    return f"token name '{name}' must be 3-48 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"


def token_status(token: ServiceToken, now: datetime) -> str:
    """'revoked', 'expired' or 'active'."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"

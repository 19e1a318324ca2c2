"""Passwords (argon2), short-lived signed access tokens (HS256 JWT) and service-token secrets."""
import secrets
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from infra.settings import Settings
from models.clock import utcnow
from models.service_token import TOKEN_PREFIX

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the stored hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    """Who a token speaks for."""

    username: str
    role: str
    unit_id: int
    person_id: int


def issue_token(claims: TokenClaims, settings: Settings) -> str:
    """A signed token valid for the configured minutes."""
    now = utcnow()
    payload = {"sub": claims.username, "role": claims.role, "unit": claims.unit_id, "uid": claims.person_id, "iat": now,
               "exp": now + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(payload, settings.secret_key.get_secret_value(), algorithm="HS256")


def read_token(token: str, settings: Settings) -> TokenClaims | None:
    """The claims of a valid, unexpired token; None otherwise."""
    try:
        data = jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=["HS256"],
                          options={"require": ["sub", "exp", "role", "unit", "uid"]})
        return TokenClaims(str(data["sub"]), str(data["role"]), int(data["unit"]), int(data["uid"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def new_service_token() -> str:
    """A fresh service token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)

"""One-time activation codes: how a person imported without a password sets their own at first sign-in."""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O or 1/I look-alikes: 5 bits each
CODE_LENGTH = 12  # 60 bits of randomness
GROUP = 4  # shown as XXXX-XXXX-XXXX
ACTIVATION_DAYS = 30
MIN_PASSWORD = 8


def new_code() -> str:
    """A fresh random activation code, grouped for reading aloud (XXXX-XXXX-XXXX)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalized(code: str) -> str:
    """The code as typed, without separators or spaces, upper-cased: what the digest is taken of."""
    return "".join(c for c in code.upper() if c not in "- \t")


def digest(code: str) -> str:
    """The hex SHA-256 of a normalized code, what is stored instead of the code.

    A fast hash is right here, unlike for passwords: the code is 60 random bits chosen by us, not a human
    secret with little entropy, so a stolen digest cannot be reversed by guessing, and a slow hash would only
    make a 10,000-teacher import slow again."""
    return hashlib.sha256(normalized(code).encode("ascii", "replace")).hexdigest()


def expiry(now: datetime, days: int = ACTIVATION_DAYS) -> datetime:
    """When a code issued now stops working."""
    return now + timedelta(days=days)


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """True when there is no expiry on record or it has passed (a stored naive time is UTC)."""
    if expires_at is None:
        return True
    aware = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    return aware <= now

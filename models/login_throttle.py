"""Login throttling: repeated failures for one username or one client address lock its logins for a while."""
import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Field, SQLModel

KEY_MAX = 128
USERNAME_KEPT = 100
"""Longer usernames (none can exist) and ones with control characters are keyed by their digest."""


class LoginThrottle(SQLModel, table=True):
    """Recent login failures of one username (`user:NAME`) or client address (`ip:ADDR`), and its lock."""

    key: str = Field(primary_key=True, max_length=KEY_MAX)
    failures: int = 0
    first_failure_at: datetime | None = None
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class ThrottleRule:
    """`max_failures` failures within `window` lock a key for `lock`; the failure count then starts again."""

    max_failures: int
    window: timedelta
    lock: timedelta

    def window_start(self, now: datetime) -> datetime:
        """Failures before this instant no longer count."""
        return now - self.window

    def locks(self, failures: int) -> bool:
        """True when this many failures within the window lock the key."""
        return failures >= self.max_failures

    def lock_end(self, now: datetime) -> datetime:
        """When a lock set now ends."""
        return now + self.lock


def user_key(username: str) -> str:
    """The throttle key of a username: `user:NAME`, or `user#SHA256` for names no account can have."""
    if len(username) <= USERNAME_KEPT and username.isprintable():
        return f"user:{username}"
    return "user#" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(host: str | None) -> str:
    """The throttle key of a client address (`ip:unknown` when the server does not know it)."""
    return f"ip:{(host or 'unknown')[:KEY_MAX - 3]}"


def retry_after(locked_until: datetime | None, now: datetime) -> int | None:
    """Whole seconds until a lock ends (at least 1), or None when the key is not locked."""
    if locked_until is None or locked_until <= now:
        return None
    return max(1, math.ceil((locked_until - now).total_seconds()))

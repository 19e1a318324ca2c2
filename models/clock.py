"""The one clock of the domain: timezone-aware UTC timestamps."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (what every table stores)."""
    return datetime.now(UTC)

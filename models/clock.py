"""The one clock of the domain: naive UTC timestamps, microsecond precision."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every table stores)."""
    return datetime.now(UTC).replace(tzinfo=None)

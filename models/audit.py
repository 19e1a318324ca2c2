"""The append-only audit log: each entry carries the hash of the one before it."""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from models.clock import utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    """One recorded decision or transition. prev_hash is unique, so the chain cannot fork."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    school_enrolment_id: int | None = Field(default=None, foreign_key="schoolenrolment.id", index=True)
    actor: str = Field(max_length=64)
    event: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    flow_run_id: str | None = Field(default=None, max_length=64)
    command_key: str | None = Field(default=None, unique=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    prev_hash: str = Field(unique=True, max_length=64)
    entry_hash: str = Field(max_length=64)


HASHED_FIELDS = (
    "campaign_id", "school_enrolment_id", "actor", "event", "from_state", "to_state",
    "payload", "flow_run_id", "command_key", "created_at",
)


def entry_digest(entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over the previous hash and the entry's content, canonically serialised."""
    content = {name: getattr(entry, name) for name in HASHED_FIELDS}
    content["created_at"] = entry.created_at.isoformat(timespec="microseconds")
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + blob).encode("utf-8")).hexdigest()


def seal(entry: AuditEntry, prev_hash: str) -> AuditEntry:
    """Set prev_hash and entry_hash on a new entry; returns the same entry."""
    entry.prev_hash = prev_hash
    entry.entry_hash = entry_digest(entry, prev_hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    """Outcome of verifying the chain: how many entries, and the first broken one if any."""

    entries: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every entry links to the previous one and its hash matches its content."""
        return self.broken_at is None


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Walk entries in id order, checking each link and each content hash."""
    expected_prev = GENESIS_HASH
    count = 0
    for entry in entries:
        count += 1
        if entry.prev_hash != expected_prev:
            return ChainReport(count, entry.id, "prev_hash does not match the previous entry's hash")
        if entry_digest(entry, entry.prev_hash) != entry.entry_hash:
            return ChainReport(count, entry.id, "content does not match entry_hash")
        expected_prev = entry.entry_hash
    return ChainReport(count)

"""Checkpoints anchor the audit chain's head outside the database (in the evidence store, under COMPLIANCE
retention); the chain is verified against every one of them, so a truncated, rewritten or replaced tail is named."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

CHECKPOINT_PREFIX = "audit/checkpoints/"
MAX_CHECKPOINT_BYTES = 4096  # a checkpoint is ~200 bytes; anything larger under the prefix is not one


class ChainHead(BaseModel):
    """The newest audit entry and how many entries the log holds up to it."""

    model_config = ConfigDict(frozen=True)

    entry_id: int = Field(ge=1)
    entry_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    count: int = Field(ge=1)


class Checkpoint(ChainHead):
    """The head as it was when `written_at` recorded it (the JSON object stored in the evidence store)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    written_at: AwareDatetime

    @property
    def key(self) -> str:
        """Its object key: the prefix, the UTC time it was written (sorts by time), the entry id."""
        return f"{CHECKPOINT_PREFIX}{self.written_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{self.entry_id}.json"

    @property
    def label(self) -> str:
        """How problems name it: 'the checkpoint of 2026-12-01 21:49:10 UTC'."""
        return f"the checkpoint of {self.written_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"

    def to_json(self) -> bytes:
        """The stored bytes: canonical JSON."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()


def checkpoint_of(head: ChainHead, written_at: datetime) -> Checkpoint:
    """A checkpoint of `head` written at `written_at` (UTC)."""
    return Checkpoint(**head.model_dump(), written_at=written_at.astimezone(UTC))


def skip_reason(head: ChainHead | None, newest: Checkpoint | None) -> str | None:
    """Why no checkpoint is needed now (an empty log, or a head that has not moved), or None when one is due."""
    if head is None:
        return "the audit log is empty: there is no head to anchor"
    if newest is not None and (newest.entry_id, newest.entry_hash) == (head.entry_id, head.entry_hash):
        return f"the head (entry {head.entry_id}) has not moved since {newest.label}"
    return None


def years_later(moment: datetime, years: int) -> datetime:
    """The same instant `years` calendar years later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def read_checkpoints(objects: Iterable[tuple[str, str, bytes]]) -> tuple[list[Checkpoint], list[str]]:
    """Parse every stored version (key, version id, bytes) under the prefix: the checkpoints, and a problem for each
    version that is not a valid checkpoint and for each key written more than once (an overwrite attempt)."""
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    versions: dict[str, int] = {}
    for key, version_id, data in objects:
        versions[key] = versions.get(key, 0) + 1
        where = f"checkpoint object {key} version {version_id}"
        if len(data) > MAX_CHECKPOINT_BYTES:
            problems.append(f"{where} is not a checkpoint: larger than {MAX_CHECKPOINT_BYTES} bytes")
            continue
        try:
            checkpoint = Checkpoint.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(map(str, first["loc"])) or "the object"
            problems.append(f"{where} is not a checkpoint: {field}: {first['msg']}")
            continue
        if checkpoint.key != key:
            problems.append(f"{where} records entry {checkpoint.entry_id} written at "
                            f"{checkpoint.written_at.isoformat()}, which its key does not name")
        checkpoints.append(checkpoint)
    problems += [f"checkpoint object {key} was written {n} times (an overwrite attempt); every version is checked"
                 for key, n in versions.items() if n > 1]
    return checkpoints, problems


def newest(checkpoints: Iterable[Checkpoint]) -> Checkpoint | None:
    """The checkpoint written last (ties: the higher entry)."""
    return max(checkpoints, key=lambda c: (c.written_at, c.entry_id), default=None)

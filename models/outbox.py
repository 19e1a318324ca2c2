"""The outbox: decisions accepted by the API, waiting for (or done by) a flow run; and idempotent POSTs."""
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class OutboxStatus(StrEnum):
    """Where a queued decision stands."""

    PENDING = "pending"
    APPLIED = "applied"
    REFUSED = "refused"


class OutboxEntry(SQLModel, table=True):
    """One decision to apply: written with the task's decision in the same transaction."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="humantask.id", unique=True)
    campaign: str = Field(max_length=64)
    county: str = Field(max_length=64)
    school: str = Field(max_length=64)
    event: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    actor: str = Field(max_length=64)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=String(16), index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    flow_run_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    applied_at: datetime | None = None


class IdempotencyRecord(SQLModel, table=True):
    """The answer given to a POST with an Idempotency-Key, replayed for the same key and caller."""

    __table_args__ = (UniqueConstraint("username", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)

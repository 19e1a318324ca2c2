"""The outbox: decisions accepted by the API, waiting for (or done by) a flow run; and idempotent POSTs."""
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class OutboxStatus(StrEnum):
    """Where a queued decision stands."""

    PENDING = "pending"
    APPLIED = "applied"
    REFUSED = "refused"


PENDING_ONLY = text("status = 'pending'")


class OutboxEntry(SQLModel, table=True):
    """One decision to apply: written with the task's decision in the same transaction.

    A task whose decision was refused reopens and is decided again: each decision is one attempt of the task,
    numbered from 1; a task has at most one pending decision at a time. (`attempts` counts dispatches.)
    """

    __table_args__ = (
        UniqueConstraint("task_id", "task_attempt", name="uq_outboxentry_task_attempt"),
        Index("uq_outboxentry_pending_task", "task_id", unique=True,
              sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="humantask.id")
    task_attempt: int = Field(default=1, ge=1)  # which decision of its task: 1, then 2 after a refusal, ...
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

    def command_key(self) -> str:
        """The key a transition records for this decision: a later attempt of the task is a new decision."""
        if self.task_attempt == 1:  # the key decisions carried before tasks could be decided again
            return f"task:{self.task_id}:{self.event}"
        return f"task:{self.task_id}:attempt-{self.task_attempt}:{self.event}"


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

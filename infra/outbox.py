"""Outbox queries: the decisions the API queued, read oldest first and settled once applied, refused or unfinished
(none of them commits)."""
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from models.outbox import OutboxEntry, OutboxStatus


def pending_entries(session: Session, limit: int) -> list[OutboxEntry]:
    """The oldest `limit` pending decisions, detached from the session."""
    rows = list(session.scalars(select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.PENDING)
                                .order_by(OutboxEntry.id).limit(limit)).all())
    for row in rows:
        session.expunge(row)
    return rows


def still_pending(session: Session, entry_id: int) -> OutboxEntry | None:
    """The entry, if it is still pending (a concurrent dispatcher may have settled it)."""
    entry = session.get(OutboxEntry, entry_id)
    return entry if entry is not None and entry.status == OutboxStatus.PENDING else None


def mark_applied(entry: OutboxEntry, flow_run_id: str | None, now: datetime) -> None:
    """The decision was applied, by that flow run."""
    entry.status, entry.applied_at = OutboxStatus.APPLIED, now
    entry.flow_run_id, entry.attempts = flow_run_id, entry.attempts + 1


def mark_unfinished(entry: OutboxEntry, error: str) -> None:
    """The move is recorded but its follow-up work failed: stays pending, with the error, for the next round."""
    entry.last_error, entry.attempts = error[:2000], entry.attempts + 1

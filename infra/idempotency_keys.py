"""Idempotency keys: the claim row per caller and key, and the conditional UPDATEs that store or give it back.

Queries only, in the caller's session; the caller (application/idempotency.py) decides what commits when.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.outbox import IdempotencyRecord

IN_PROGRESS = 0
"""The status code of a claimed key whose answer is not stored yet."""
_records = IdempotencyRecord.__table__


def add_claim(session: Session, username: str, key: str, request_hash: str, claimed_at: datetime) -> bool:
    """Insert the in-progress row for this caller and key; False when the key already has one (kept as it is)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return session.execute(dialect.insert(_records).values(
        username=username, key=key, request_hash=request_hash, status_code=IN_PROGRESS, body={},
        created_at=claimed_at).on_conflict_do_nothing().returning(_records.c.id)).first() is not None


def stored_key(session: Session, username: str, key: str) -> IdempotencyRecord:
    """The row of this caller's key."""
    return session.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.username == username, IdempotencyRecord.key == key)).one()


def take_over(session: Session, record: IdempotencyRecord, claimed_at: datetime, lease: timedelta) -> bool:
    """Re-date a claim older than the lease (its holder died) to `claimed_at`; False if it was answered, re-dated or
    is younger than the lease."""
    return session.execute(update(IdempotencyRecord).where(
        IdempotencyRecord.id == record.id, IdempotencyRecord.status_code == IN_PROGRESS,
        IdempotencyRecord.created_at == record.created_at, IdempotencyRecord.created_at < claimed_at - lease,
    ).values(created_at=claimed_at)).rowcount == 1


def store_answer(session: Session, username: str, key: str, request_hash: str, claimed_at: datetime | None,
                 status: int, body: dict) -> bool:
    """Put the answer on the claim made at `claimed_at`; False when that claim is not held any more."""
    return session.execute(update(IdempotencyRecord).where(
        IdempotencyRecord.username == username, IdempotencyRecord.key == key,
        IdempotencyRecord.request_hash == request_hash, IdempotencyRecord.status_code == IN_PROGRESS,
        IdempotencyRecord.created_at == claimed_at,
    ).values(status_code=status, body=body)).rowcount == 1


def drop_claim(session: Session, username: str, key: str, claimed_at: datetime | None) -> None:
    """Delete the unanswered claim made at `claimed_at` (a stored answer is kept)."""
    session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.username == username, IdempotencyRecord.key == key,
        IdempotencyRecord.status_code == IN_PROGRESS, IdempotencyRecord.created_at == claimed_at))

"""Idempotency-Key on POSTs: the first answer is stored and replayed for the same key and caller."""
import hashlib
import json

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlmodel import Session

from models.errors import KeyReused
from models.org import Principal
from models.outbox import IdempotencyRecord


def fingerprint(method: str, path: str, body: object) -> str:
    """A hash of what was asked, to tell a true replay from a reused key."""
    return hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()


def replay(session: Session, user: Principal, key: str | None, request_hash: str) -> JSONResponse | None:
    """The stored answer for this key, or None when the key is new (or absent)."""
    if not key:
        return None
    record = session.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.username == user.username, IdempotencyRecord.key == key)).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise KeyReused(f"Idempotency-Key '{key}' was used for a different request")
    return JSONResponse(record.body, status_code=record.status_code, headers={"Idempotent-Replayed": "true"})


def remember(session: Session, user: Principal, key: str | None, request_hash: str, status: int, body: dict) -> None:
    """Store the answer in the caller's transaction, so it commits with the effect."""
    if key:
        session.add(IdempotencyRecord(username=user.username, key=key, request_hash=request_hash,
                                      status_code=status, body=body))

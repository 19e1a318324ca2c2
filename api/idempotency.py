"""Idempotency-Key on POSTs: a key is claimed before the effect, its answer stored with it and replayed after.

Every POST that takes the header runs through `once`: the key is claimed in its own short transaction (a unique
row per caller and key), so of two simultaneous requests exactly one does the work; the other gets the stored
answer, or 409 while the first is still working. A request that fails gives its claim back, so a retry runs anew.
"""
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, timedelta

from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.clock import utcnow
from models.errors import KeyInProgress, KeyReused
from models.org import Principal
from models.outbox import IdempotencyRecord

IN_PROGRESS = 0
"""The status code of a claimed key whose answer is not stored yet."""
LEASE = timedelta(seconds=60)
"""How long a claim blocks its key. A request that died without answering, or whose claim could not be given back
(the database went away mid-request), frees it after this; a retry then takes the claim over. A request still
working past it cannot store its answer any more (`remember` checks the claim), so its effect rolls back."""
CLAIM = "idempotency_claim"
"""Where the session keeps the claim this request holds (its created_at), for `remember` and `release`."""


def fingerprint(method: str, path: str, body: object) -> str:
    """A hash of what was asked, to tell a true replay from a reused key."""
    return hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()


def once(session: Session, user: Principal, key: str | None, request_hash: str,
         handle: Callable[[], JSONResponse]) -> JSONResponse:
    """`handle()` run at most once per caller and key; it must `remember` its answer before it commits."""
    if not key:
        return handle()
    if (stored := claim(session, user, key, request_hash)) is not None:
        return stored
    try:
        return handle()
    except BaseException:
        release(session, user, key)
        raise


def claim(session: Session, user: Principal, key: str, request_hash: str) -> JSONResponse | None:
    """None when this request now owns the key; the stored answer on a replay; KeyInProgress or KeyReused otherwise."""
    with Session(session.get_bind()) as own:
        claimed_at = utcnow()
        own.add(IdempotencyRecord(username=user.username, key=key, request_hash=request_hash,
                                  status_code=IN_PROGRESS, body={}, created_at=claimed_at))
        try:
            own.commit()
            session.info[CLAIM] = claimed_at
            return None
        except IntegrityError:
            own.rollback()
        record = own.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.username == user.username, IdempotencyRecord.key == key)).one()
        if record.request_hash != request_hash:
            raise KeyReused(f"Idempotency-Key '{key}' was used for a different request")
        if record.status_code != IN_PROGRESS:
            return JSONResponse(record.body, status_code=record.status_code, headers={"Idempotent-Replayed": "true"})
        if (claimed_at := _take_over(own, record)) is not None:
            session.info[CLAIM] = claimed_at
            return None
        held_since = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=UTC)
        wait = max(1, int((held_since + LEASE - utcnow()).total_seconds()))
    raise KeyInProgress(f"a request with Idempotency-Key '{key}' is in progress; retry once it has answered",
                        retry_after=wait)


def _take_over(own: Session, record: IdempotencyRecord):
    """Claim a key whose holder died (its claim is older than the lease); the new claim's time if this request got
    it, else None."""
    claimed_at = utcnow()
    taken = own.execute(update(IdempotencyRecord).where(
        IdempotencyRecord.id == record.id, IdempotencyRecord.status_code == IN_PROGRESS,
        IdempotencyRecord.created_at == record.created_at, IdempotencyRecord.created_at < claimed_at - LEASE,
    ).values(created_at=claimed_at)).rowcount
    own.commit()
    return claimed_at if taken else None


def remember(session: Session, user: Principal, key: str | None, request_hash: str, status: int, body: dict) -> None:
    """Store the answer on the claimed key in the caller's transaction, so it commits with the effect."""
    if key:
        stored = session.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.username == user.username, IdempotencyRecord.key == key,
            IdempotencyRecord.request_hash == request_hash, IdempotencyRecord.status_code == IN_PROGRESS,
            IdempotencyRecord.created_at == session.info.get(CLAIM),
        ).values(status_code=status, body=body)).rowcount
        if not stored:  # the lease ran out and a retry took the claim over: that one acts, this one rolls back
            raise KeyInProgress(f"Idempotency-Key '{key}' was taken over by a retry after {LEASE.seconds} s")


def release(session: Session, user: Principal, key: str) -> None:
    """Give back a claim whose request failed before answering (a stored answer is kept)."""
    with Session(session.get_bind()) as own:
        own.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.username == user.username, IdempotencyRecord.key == key,
            IdempotencyRecord.status_code == IN_PROGRESS, IdempotencyRecord.created_at == session.info.pop(CLAIM, None)))
        own.commit()

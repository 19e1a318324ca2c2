"""Idempotency-Key on POSTs: a key is claimed before the effect, its answer stored with it and replayed after.

The claim is a unit of work of its own, committed here at once (a unique row per caller and key), so of two
simultaneous requests exactly one does the work; the other gets the stored answer, or KeyInProgress while the first
is still working. The answer is stored in the caller's unit of work (`remember`), so it commits with the effect; a
request that fails gives its claim back (`release`, again its own unit of work), so a retry runs anew.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlmodel import Session

from infra import idempotency_keys as keys
from infra.idempotency_keys import IN_PROGRESS
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.errors import KeyInProgress, KeyReused
from models.org import Principal

__all__ = ["CLAIM", "IN_PROGRESS", "LEASE", "KeyInProgress", "StoredAnswer", "claim", "fingerprint", "release",
           "remember"]

LEASE = timedelta(seconds=60)
"""How long a claim blocks its key. A request that died without answering, or whose claim could not be given back
(the database went away mid-request), frees it after this; a retry then takes the claim over. A request still
working past it cannot store its answer any more (`remember` checks the claim), so its effect rolls back."""
CLAIM = "idempotency_claim"
"""Where the session keeps the claim this request holds (its created_at), for `remember` and `release`."""


@dataclass(frozen=True)
class StoredAnswer:
    """The answer a key's first request gave, to replay."""

    status: int
    body: dict


def fingerprint(method: str, path: str, body: object) -> str:
    """A hash of what was asked, to tell a true replay from a reused key."""
    return hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()


def _own_unit_of_work(session: Session) -> UnitOfWork:
    """A unit of work beside the request's, on the same database, for the claim that must commit at once."""
    return UnitOfWork(Session(session.get_bind(), expire_on_commit=False))


def claim(session: Session, user: Principal, key: str, request_hash: str) -> StoredAnswer | None:
    """Claim the key for the request of `session`: None when it now owns the key; the stored answer on a replay;
    KeyInProgress (another request holds it) or KeyReused (a different request used it) otherwise."""
    with _own_unit_of_work(session) as own:
        claimed_at = utcnow()
        if keys.add_claim(own.session, user.username, key, request_hash, claimed_at):
            own.commit()
            session.info[CLAIM] = claimed_at
            return None
        record = keys.stored_key(own.session, user.username, key)
        if record.request_hash != request_hash:
            raise KeyReused(f"Idempotency-Key '{key}' was used for a different request")
        if record.status_code != IN_PROGRESS:
            return StoredAnswer(record.status_code, record.body)
        claimed_at = utcnow()
        taken = keys.take_over(own.session, record, claimed_at, LEASE)
        own.commit()
        if taken:  # its holder died (the claim is older than the lease): this request takes it over
            session.info[CLAIM] = claimed_at
            return None
        held_since = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=UTC)
        wait = max(1, int((held_since + LEASE - utcnow()).total_seconds()))
    raise KeyInProgress(f"a request with Idempotency-Key '{key}' is in progress; retry once it has answered",
                        retry_after=wait)


def remember(session: Session, user: Principal, key: str | None, request_hash: str, status: int, body: dict) -> None:
    """Store the answer on the claimed key in the caller's transaction, so it commits with the effect."""
    if key and not keys.store_answer(session, user.username, key, request_hash, session.info.get(CLAIM), status, body):
        # the lease ran out and a retry took the claim over: that one acts, this one rolls back
        raise KeyInProgress(f"Idempotency-Key '{key}' was taken over by a retry after {LEASE.seconds} s")


def release(session: Session, user: Principal, key: str) -> None:
    """Give back a claim whose request failed before answering (a stored answer is kept)."""
    with _own_unit_of_work(session) as own:
        keys.drop_claim(own.session, user.username, key, session.info.pop(CLAIM, None))
        own.commit()

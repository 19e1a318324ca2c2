"""Idempotency-Key on POSTs, for the routes: `once` runs a handler at most once per caller and key, replaying the
stored answer as a response. The claims and answers themselves are application/idempotency.py's."""
from collections.abc import Callable

from fastapi.responses import JSONResponse
from sqlmodel import Session

from application import idempotency as keys
from application.idempotency import CLAIM, IN_PROGRESS, LEASE, KeyInProgress, fingerprint, release, remember
from models.org import Principal

__all__ = ["CLAIM", "IN_PROGRESS", "LEASE", "KeyInProgress", "claim", "fingerprint", "once", "release", "remember"]


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
    stored = keys.claim(session, user, key, request_hash)
    if stored is None:
        return None
    return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})

"""Typed dependencies the routes declare and tests override."""
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from infra import repository as repo
from infra.db import get_engine
from infra.evidence import EvidenceStore, get_evidence_store
from infra.security import read_token
from infra.service_tokens import token_principal
from infra.settings import Settings, get_settings
from infra.unit_of_work import UnitOfWork
from models.errors import NotAuthenticated
from models.org import Principal
from models.service_token import is_service_token

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False, description=(
    "A login token from POST /auth/token, or an integration's service token (`tsk_…`, from `tisheng tokens create`), "
    "as `Authorization: Bearer <token>`."))


async def get_unit_of_work() -> AsyncIterator[UnitOfWork]:
    """A unit of work per request: the route commits it once when its service succeeded; read routes never commit.

    Async although the session is sync: opening one does no I/O, and an async dependency saves two thread-pool hops
    per request. Closing one still inside a transaction rolls back over the network, so that runs in the pool.
    """
    uow = UnitOfWork(Session(get_engine()))
    try:
        yield uow
    finally:
        if uow.session.in_transaction():
            await run_in_threadpool(uow.close)
        else:
            uow.close()


UowDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]


async def get_session(uow: UowDep) -> Session:
    """The request's unit-of-work session, for the principal lookup."""
    return uow.session


async def settings() -> Settings:
    """The process's settings (cached; async so it costs no thread-pool hop)."""
    return get_settings()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(settings)]


def current_user(session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    """The active person a bearer access token or service token names (looked up at every call); 401 otherwise."""
    if token and is_service_token(token):
        return Principal.of(token_principal(session, token))
    claims = read_token(token, settings) if token else None
    found = repo.principal_of(session, claims.username) if claims else None
    if found is None:
        raise NotAuthenticated("a valid bearer token is required (POST /auth/token)")
    principal, active = found
    if not active:
        raise NotAuthenticated(f"user '{principal.username}' is deactivated")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def evidence_store() -> EvidenceStore:
    """The configured evidence store (a dependency tests override)."""
    return get_evidence_store()


StoreDep = Annotated[EvidenceStore, Depends(evidence_store)]


def link_lifetime() -> timedelta:
    """How long a signed upload ticket or download link lasts (TISHENG_EVIDENCE_LINK_MINUTES)."""
    return timedelta(minutes=get_settings().evidence_link_minutes)

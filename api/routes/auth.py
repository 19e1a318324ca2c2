"""Password login (OAuth2 password flow) issuing short-lived signed tokens."""
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.problems import error_responses
from infra import login_throttle as throttle
from infra import repository as repo
from infra.security import TokenClaims, issue_token, verify_password
from infra.settings import Settings
from models.clock import utcnow
from models.errors import LoginLocked, NotAuthenticated
from models.login_throttle import address_key, retry_after, user_key

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    """An OAuth2 bearer token."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vLWNvdW50eS1vZmZpY2UifQ.c2lnbmF0dXJl",
        "token_type": "bearer", "expires_in": 900}]})
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    """Who the token speaks for; `service_account` is true for an integration's service token."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "demo-county-office", "name": "兖州区工程办", "role": "county_office", "unit_id": 3,
         "service_account": False},
        {"username": "grading-sync", "name": "service token grading-sync", "role": "county_office", "unit_id": 3,
         "service_account": True}]})
    username: str
    name: str
    role: str
    unit_id: int
    service_account: bool = False


APPEND_ATTEMPTS = 5


@router.post("/token", response_model=Token, responses=error_responses(400, 401, 422, 429))
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep,
          settings: SettingsDep) -> Token:
    """Exchange a username and password for a bearer token; 429 while the username or client address is locked
    out by repeated failures (the password is then not checked)."""
    now, host = utcnow(), request.client.host if request.client else None
    user = user_key(form.username)
    wait = retry_after(throttle.lock_end(session, [user, address_key(host)], now), now)
    if wait is not None:
        raise LoginLocked(wait)
    person = None if "\x00" in form.username else repo.person_by_username(session, form.username, active_only=False)
    if person is None or not verify_password(person.password_hash, form.password):
        wait = retry_after(_count_failure(session, settings, form.username, host, now), now)
        if wait is not None:
            raise LoginLocked(wait)
        raise NotAuthenticated("unknown username or wrong password")
    if not person.active:
        raise NotAuthenticated(f"user '{person.username}' is deactivated")
    if throttle.has_failures(session, user):
        throttle.forget(session, user)
        session.commit()
    token = issue_token(TokenClaims(person.username, person.role, person.unit_id, person.id), settings)
    return Token(access_token=token, expires_in=settings.token_minutes * 60)


def _count_failure(session: Session, settings: Settings, username: str, host: str | None,
                   now: datetime) -> datetime | None:
    """Record a failed login and commit it (retried when another writer took the audit chain's head)."""
    for attempt in range(APPEND_ATTEMPTS):
        try:
            until = throttle.record_failed_login(session, settings, username, host, now)
            session.commit()
            return until
        except IntegrityError:
            session.rollback()
            if attempt == APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@router.get("/me", response_model=Me, responses=error_responses(401))
def me(user: CurrentUser) -> Me:
    """The caller's identity, role and unit."""
    return Me(username=user.username, name=user.name, role=user.role, unit_id=user.unit_id,
              service_account=user.service_account)

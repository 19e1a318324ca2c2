"""Password login (OAuth2 password flow) issuing short-lived signed tokens."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, SettingsDep, UowDep
from api.problems import error_responses
from application import activation, auth
from application.concurrency import commit_with_retry

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


@router.post("/token", response_model=Token, responses=error_responses(400, 401, 422, 429))
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, uow: UowDep,
          settings: SettingsDep) -> Token:
    """Exchange a username and password for a bearer token; 429 while the username or client address is locked
    out by repeated failures (the password is then not checked)."""
    host = request.client.host if request.client else None
    done = commit_with_retry(uow, auth.log_in, settings, form.username, form.password, host,
                             attempts=auth.LOGIN_ATTEMPTS)  # a refused login's count is committed, then answered
    return Token(access_token=done.token(), expires_in=done.expires_in)


class ActivationRequest(BaseModel):
    """A first sign-in: the activation code handed out with the roster import, and the password to set."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "yz-s01-t01", "code": "7KQ4-MZ2D-9XHP", "password": "my own password"}]})
    username: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)


class Activated(BaseModel):
    """Whose account now has a password: log in at POST /auth/token."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"username": "yz-s01-t01"}]})
    username: str


@router.post("/activate", response_model=Activated, responses=error_responses(400, 422, 429))
def activate(body: ActivationRequest, request: Request, uow: UowDep, settings: SettingsDep) -> Activated:
    """Set a first password with a one-time activation code; a wrong, spent or expired code, an unknown or
    deactivated user all answer the same 400, and count against the login throttle (429 while locked out)."""
    host = request.client.host if request.client else None
    done = commit_with_retry(uow, activation.activate_account, settings, body.username, body.code, body.password,
                             host, attempts=activation.ACTIVATION_ATTEMPTS)  # a failure's count is committed first
    return Activated(username=done.activated())


@router.get("/me", response_model=Me, responses=error_responses(401))
def me(user: CurrentUser) -> Me:
    """The caller's identity, role and unit."""
    return Me(username=user.username, name=user.name, role=user.role, unit_id=user.unit_id,
              service_account=user.service_account)

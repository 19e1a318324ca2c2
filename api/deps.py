"""Typed dependencies the routes declare and tests override."""
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from infra import repository as repo
from infra.db import get_engine
from infra.security import read_token
from infra.settings import Settings, get_settings
from models.errors import NotAuthenticated
from models.org import Person

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_session() -> Iterator[Session]:
    """A session per request; read routes never commit."""
    with Session(get_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_user(session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2)]) -> Person:
    """The active person a valid bearer token names (looked up, so a deactivation takes effect at once); 401 otherwise."""
    claims = read_token(token, settings) if token else None
    person = repo.person_by_username(session, claims.username) if claims else None
    if person is None:
        raise NotAuthenticated("a valid bearer token is required (POST /auth/token)")
    return person


CurrentUser = Annotated[Person, Depends(current_user)]

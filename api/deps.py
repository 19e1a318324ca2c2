"""Typed dependencies the routes declare and tests override."""
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from infra.db import get_engine


def get_session() -> Iterator[Session]:
    """A session per request; read routes never commit."""
    with Session(get_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

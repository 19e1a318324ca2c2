"""The unit of work: one transaction per user action or system step, committed once by the service's caller."""
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from infra.db import get_engine

T = TypeVar("T")


class UnitOfWork:
    """A session and its transaction; repositories and services only add and flush, the caller commits once.

    Used as a context manager: leaving it without `commit()` rolls back. Callbacks given to `after_commit` run once
    the commit succeeded (e.g. announcing a move), never after a rollback.
    """

    def __init__(self, session: Session | None = None):
        self.session = session if session is not None else Session(get_engine(), expire_on_commit=False)
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def commit(self) -> None:
        """Commit the transaction, then run the after-commit callbacks."""
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        """Roll the transaction back and forget the after-commit callbacks."""
        self._after_commit.clear()
        self.session.rollback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed."""
        self._after_commit.append(callback)

    def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        self._after_commit.clear()
        self.session.close()


def committed(step: Callable[..., T], *args, **kwargs) -> T:
    """Run one service in a unit of work of its own and commit it: how a Prefect task, a command or the demo calls
    the application layer."""
    with UnitOfWork() as uow:
        result = step(uow, *args, **kwargs)
        uow.commit()
        return result

"""Committing a write that a concurrent writer may beat to a unique key: the audit chain's head, a calendar entry."""
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from infra.unit_of_work import UnitOfWork

T = TypeVar("T")

CHAIN_ATTEMPTS = 3
"""How often a write is run before a concurrent writer that keeps winning is reported (IntegrityError)."""


def commit_with_retry(uow: UnitOfWork, step: Callable[..., T], *args, attempts: int = CHAIN_ATTEMPTS, **kwargs) -> T:
    """Run a service in this unit of work and commit it; when a concurrent writer took the key first (IntegrityError:
    another audit append won the chain head), roll back and run the service again, on the new head.

    The caller's unit of work is one attempt's transaction: an API route passes the request's, so each attempt reads
    afresh. DomainErrors are not retried. After the last attempt the IntegrityError propagates."""
    for attempt in range(1, attempts + 1):
        try:
            result = step(uow, *args, **kwargs)
            uow.commit()
            return result
        except IntegrityError:
            uow.rollback()
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def committed_with_retry(step: Callable[..., T], *args, attempts: int = CHAIN_ATTEMPTS, **kwargs) -> T:
    """`commit_with_retry` in a unit of work of its own: how a command or a Prefect task runs such a service."""
    with UnitOfWork() as uow:
        return commit_with_retry(uow, step, *args, attempts=attempts, **kwargs)

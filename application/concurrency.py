"""The one retry loop for a write a concurrent writer may beat to a unique key (the audit chain's head, a calendar
entry, a school moved meanwhile): each attempt is its own transaction, committed once when the service succeeds.

It commits because it is the service's caller (a route, a task, a command hands it the step); services never do.
"""
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from infra.unit_of_work import UnitOfWork

T = TypeVar("T")

CHAIN_ATTEMPTS = 3
"""How often a write is run before a concurrent writer that keeps winning is reported (IntegrityError)."""


def _retrying(attempt: Callable[[], T], retry_on: tuple[type[Exception], ...], attempts: int,
              after_failure: Callable[[], None] = lambda: None) -> T:
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except retry_on:
            after_failure()
            if number == attempts:
                raise
    raise AssertionError("unreachable")


def commit_with_retry(uow: UnitOfWork, step: Callable[..., T], *args, attempts: int = CHAIN_ATTEMPTS,
                      retry_on: tuple[type[Exception], ...] = (IntegrityError,), **kwargs) -> T:
    """Run a service in this unit of work and commit it; when a concurrent writer took the key first, roll back and
    run it again (each attempt reads afresh). DomainErrors are not retried; after the last attempt the error
    propagates. An API route passes the request's unit of work."""
    def attempt() -> T:
        result = step(uow, *args, **kwargs)
        uow.commit()
        return result
    return _retrying(attempt, retry_on, attempts, uow.rollback)


def committed_with_retry(step: Callable[..., T], *args, attempts: int = CHAIN_ATTEMPTS,
                         retry_on: tuple[type[Exception], ...] = (IntegrityError,),
                         unit_of_work: Callable[[], UnitOfWork] = UnitOfWork, **kwargs) -> T:
    """The same loop with a fresh unit of work per attempt: how a Prefect task or a command runs such a service."""
    def attempt() -> T:
        with unit_of_work() as uow:
            result = step(uow, *args, **kwargs)
            uow.commit()
            return result
    return _retrying(attempt, retry_on, attempts)

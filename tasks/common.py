"""Shared task settings: retry transient failures, never a domain refusal."""
from prefect.cache_policies import NO_CACHE

from models.errors import DomainError


def retry_unless_domain_error(task, task_run, state) -> bool:
    """Prefect retry condition: a DomainError is a decision, not a fault, so it is not retried."""
    return not isinstance(state.data, DomainError)


TASK_DEFAULTS = dict(
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=0.5,
    retry_condition_fn=retry_unless_domain_error,
)

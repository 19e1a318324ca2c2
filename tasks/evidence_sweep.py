"""Tasks of the evidence sweep: list what nobody owns, then delete it (each one side effect)."""
from datetime import timedelta

from prefect import task
from prefect.concurrency.sync import concurrency

from application import evidence_sweep as sweep
from application.evidence_sweep import Unowned
from infra.evidence import get_evidence_store
from infra.unit_of_work import committed
from models.errors import EvidenceLocked, EvidenceMissing
from models.evidence_sweep import SweptVersion
from tasks.common import TASK_DEFAULTS
from tasks.evidence import STORE_LIMIT

__all__ = ["Unowned", "delete_unowned", "find_unowned", "remove_leftovers"]


@task(**TASK_DEFAULTS)
def find_unowned(campaign: str | None, grace_minutes: int) -> Unowned:
    """Compare the store with the owners: unowned versions (held/retained ones flagged) and stale leftovers."""
    return committed(sweep.find_unowned, get_evidence_store(), campaign, timedelta(minutes=grace_minutes))


@task(**TASK_DEFAULTS)
def delete_unowned(versions: list[SweptVersion]) -> list[SweptVersion]:
    """Delete the unowned versions; returns those a hold set meanwhile kept (to report, not fail)."""
    store, kept = get_evidence_store(), []
    with concurrency(STORE_LIMIT, occupy=1, strict=False):
        for v in versions:
            try:
                store.delete(v.key, v.version_id)
            except EvidenceLocked:
                kept.append(SweptVersion(v.key, v.version_id, v.created_at, held=True))
            except EvidenceMissing:
                pass  # already gone
    return kept


@task(**TASK_DEFAULTS)
def remove_leftovers(names: list[str]) -> int:
    """Remove the store's stale leftovers; returns how many were still there."""
    store, removed = get_evidence_store(), 0
    for name in names:
        try:
            store.remove_leftover(name)
            removed += 1
        except EvidenceMissing:
            pass  # finished or removed since it was listed
    return removed

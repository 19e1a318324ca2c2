"""Tasks of the evidence sweep: list what nobody owns, then delete it (each one side effect)."""
from dataclasses import dataclass
from datetime import timedelta

from prefect import task
from prefect.concurrency.sync import concurrency

from infra.db import session_scope
from infra.evidence import get_evidence_store
from infra.evidence_owners import campaign_prefix, evidence_owners
from models.clock import utcnow
from models.errors import EvidenceLocked, EvidenceMissing
from models.evidence_sweep import SweepPlan, SweptVersion, plan_sweep, stale, unowned
from tasks.common import TASK_DEFAULTS
from tasks.evidence import STORE_LIMIT


@dataclass(frozen=True)
class Unowned:
    """What the sweep found: versions to delete or report, and store leftovers past the grace."""

    plan: SweepPlan
    leftovers: list[str]


@task(**TASK_DEFAULTS)
def find_unowned(campaign: str | None, grace_minutes: int) -> Unowned:
    """Compare the store with the owners: unowned versions (held/retained ones flagged) and stale leftovers."""
    store, now, grace = get_evidence_store(), utcnow(), timedelta(minutes=grace_minutes)
    with session_scope() as session:
        owners = evidence_owners(session, campaign)
    listed = [SweptVersion(v.key, v.version_id, v.created_at) for v in store.versions(campaign_prefix(campaign))]
    orphans = []
    for v in unowned(listed, owners, now, grace):
        until = store.retention(v.key, v.version_id)
        orphans.append(SweptVersion(v.key, v.version_id, v.created_at, store.legal_hold(v.key, v.version_id),
                                    until is not None and until > now))
    leftovers = [f.name for f in store.leftovers() if stale(f.created_at, now, grace)]
    return Unowned(plan_sweep(orphans), leftovers)


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

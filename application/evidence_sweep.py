"""The evidence sweep's look at the store: which stored versions no record or open upload owns (held or retained
ones flagged, to report rather than delete), and which crash leftovers are past the grace."""
from dataclasses import dataclass
from datetime import timedelta

from infra.evidence import EvidenceStore
from infra.evidence_owners import campaign_prefix, evidence_owners
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.evidence_sweep import SweepPlan, SweptVersion, plan_sweep, stale, unowned


@dataclass(frozen=True)
class Unowned:
    """What the sweep found: versions to delete or report, and store leftovers past the grace."""

    plan: SweepPlan
    leftovers: list[str]


def find_unowned(uow: UnitOfWork, store: EvidenceStore, campaign: str | None, grace: timedelta) -> Unowned:
    """Compare the store with the owners (of one campaign, or all): unowned versions, held/retained ones flagged,
    and stale leftovers. The owners are read first and the read ended: listing the store holds no transaction."""
    now = utcnow()
    owners = evidence_owners(uow.session, campaign)
    uow.rollback()  # nothing was written
    listed = [SweptVersion(v.key, v.version_id, v.created_at) for v in store.versions(campaign_prefix(campaign))]
    orphans = []
    for v in unowned(listed, owners, now, grace):
        until = store.retention(v.key, v.version_id)
        orphans.append(SweptVersion(v.key, v.version_id, v.created_at, store.legal_hold(v.key, v.version_id),
                                    until is not None and until > now))
    leftovers = [f.name for f in store.leftovers() if stale(f.created_at, now, grace)]
    return Unowned(plan_sweep(orphans), leftovers)

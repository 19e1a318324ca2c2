"""The deployments a Tisheng worker process serves on the Prefect server, and the limits they share."""
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment

from flows.city_sampling import draw_city_sample
from flows.closeout import closeout_flow
from flows.evidence import (
    STORE_WORKERS, lock_school_evidence, release_school_evidence, retain_school_evidence, verify_evidence,
)
from flows.grading import apply_grading_decisions
from flows.schedules import scheduled_deployments
from flows.transition import apply_school_transition, apply_school_transitions
from tasks.evidence import STORE_LIMIT


def tisheng_deployments() -> list[RunnerDeployment]:
    """Every flow the API and schedules start by deployment name (the scheduled ones with their cron)."""
    on_demand = [
        flow.to_deployment(name="tisheng", tags=["tisheng"])
        for flow in (apply_school_transition, apply_school_transitions, apply_grading_decisions, draw_city_sample,
                     lock_school_evidence, release_school_evidence, retain_school_evidence, verify_evidence,
                     closeout_flow)
    ]
    return on_demand + scheduled_deployments()


def ensure_concurrency_limits(store_slots: int = 2 * STORE_WORKERS) -> None:
    """Create (or resize) the global limit every batch of evidence-store calls takes a slot of."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(STORE_LIMIT, store_slots)

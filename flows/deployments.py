"""The deployments Tisheng runs on the Prefect server, served by one process or registered on a work pool."""
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect.runner.storage import LocalStorage
from prefect.deployments.runner import RunnerDeployment

from flows.closeout import closeout_flow
from flows.evidence import STORE_WORKERS, verify_evidence
from flows.schedules import scheduled_deployments
from models.errors import DomainError
from tasks.evidence import STORE_LIMIT

WORK_POOL_TYPE = "process"
CODE_DIR = Path(__file__).resolve().parents[1]


# Deployments something starts, and nothing else: the schedules (flows/schedules.py), and the two runs an operator
# starts by hand from the Prefect UI or `prefect deployment run` (a campaign's closeout re-run after a crashed
# worker, an evidence integrity check whose report is an artifact). Decisions are applied by the dispatcher's
# in-process bulk runs (flows/dispatch.py), not by a deployment run per decision. The names say what a run does.
ON_DEMAND = {
    closeout_flow: "close-one-campaign",
    verify_evidence: "check-evidence-checksums",
}


def tisheng_deployments() -> list[RunnerDeployment]:
    """Every deployment something starts: the operator's on-demand runs, and the scheduled ones with their cron."""
    on_demand = [flow.to_deployment(name=name, tags=["tisheng"]) for flow, name in ON_DEMAND.items()]
    return on_demand + scheduled_deployments()


def ensure_concurrency_limits(store_slots: int = 2 * STORE_WORKERS) -> None:
    """Create (or resize) the global limit every batch of evidence-store calls takes a slot of."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(STORE_LIMIT, store_slots)


def ensure_work_pool(name: str) -> bool:
    """Create the process work pool if it is missing (True when created); refuse a pool of another type."""
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(
                name=name, type=WORK_POOL_TYPE, base_job_template=ProcessWorker.get_default_base_job_template()))
            return True
        except ObjectAlreadyExists:
            found = client.read_work_pool(name).type
    if found != WORK_POOL_TYPE:
        raise DomainError(f"work pool '{name}' is of type '{found}'; Tisheng's workers need a '{WORK_POOL_TYPE}' pool")
    return False


def deploy_to_work_pool(pool: str) -> list[str]:
    """Register every deployment (schedules included) on the process work pool, creating pool and limits as
    needed; workers started with `prefect worker start --pool POOL` then run them from this code's directory."""
    ensure_work_pool(pool)
    ensure_concurrency_limits()
    names = []
    for deployment in tisheng_deployments():
        file, name = deployment.entrypoint.rsplit(":", 1)  # relative to the current directory, which may be any
        deployment.entrypoint = f"{(Path.cwd() / file).resolve().relative_to(CODE_DIR)}:{name}"
        deployment.storage = LocalStorage(str(CODE_DIR))  # the worker's pull step: cd to the code
        deployment.apply(work_pool_name=pool)
        names.append(deployment.full_name)
    return names

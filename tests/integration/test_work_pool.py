"""The production setup: deployments registered on a process work pool, and a real worker running one of them."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName
from prefect.settings import PREFECT_API_URL

from flows.deployments import deploy_to_work_pool, tisheng_deployments
from flows.schedules import SCHEDULES, TIMEZONE
from models.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]


def pool_deployments(pool: str):
    with get_client(sync_client=True) as client:
        return client.read_work_pool(pool), client.read_deployments(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])))


def test_every_deployment_lands_on_the_process_pool_with_its_schedule_and_a_rerun_changes_nothing(
        database, prefect_harness, campaign_code):
    pool_name = f"pool-{campaign_code}"
    names = deploy_to_work_pool(pool_name)
    assert sorted(names) == sorted(d.full_name for d in tisheng_deployments())
    pool, deployments = pool_deployments(pool_name)
    assert pool.type == "process" and "command" in pool.base_job_template["variables"]["properties"]
    assert len({d.name for d in deployments}) == len(names) and "tisheng" not in {d.name for d in deployments}
    crons = {d.entrypoint.rsplit(":", 1)[1]: [(s.schedule.cron, s.schedule.timezone) for s in d.schedules]
             for d in deployments}
    assert crons["daily_reminders"] == [(SCHEDULES["daily-reminders"], TIMEZONE)]
    assert crons["closeout_due_campaigns"] == [(SCHEDULES["year-end-closeout-due"], TIMEZONE)]
    assert crons["closeout_flow"] == []
    assert {d.pull_steps[0]["prefect.deployments.steps.set_working_directory"]["directory"] for d in deployments} \
        == {str(ROOT)}  # workers run the code from this directory
    assert all((ROOT / d.entrypoint.split(":")[0]).is_file() for d in deployments)

    assert sorted(deploy_to_work_pool(pool_name)) == sorted(names)
    assert len(pool_deployments(pool_name)[1]) == len(names)


def test_a_pool_of_another_type_is_refused(database, prefect_harness, campaign_code):
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=f"k8s-{campaign_code}", type="kubernetes"))
    with pytest.raises(DomainError, match="'kubernetes'.*'process' pool"):
        deploy_to_work_pool(f"k8s-{campaign_code}")


def test_a_process_worker_runs_a_deployment_from_the_pool(database, prefect_harness, campaign_code):
    from prefect.deployments import run_deployment

    deploy_to_work_pool(f"worker-{campaign_code}")
    run = run_deployment("year-end-closeout-due/dec-31-2300-close-due-campaigns", parameters={"day": "2000-01-01"}, timeout=0)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    started = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", f"worker-{campaign_code}", "--run-once"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run.id).state
        while not state.is_final() and time.monotonic() - started < 120:
            time.sleep(0.5)
            state = client.read_flow_run(run.id).state
    assert state.is_completed(), (state, worker.stdout[-6000:], worker.stderr[-6000:])

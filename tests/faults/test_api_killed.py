"""Fault: the API process dies between accepting a decision (committed) and answering it."""
import signal

import httpx
import pytest
from sqlalchemy import select

from infra import repository as repo
from infra.db import session_scope
from models.enums import SchoolState, TaskStatus
from models.human_task import HumanTask
from models.outbox import OutboxEntry, OutboxStatus
from tests.faults.conftest import login, open_plan_reviews, submitted_campaign, wait_until
from tests.faults.invariants import assert_settled

pytestmark = pytest.mark.faults
FILE = {"kind": "plan_review", "outcome": "file", "comment": "同意备案"}


def outbox_of(task_id: int) -> list[OutboxEntry]:
    """The outbox entries of one task."""
    with session_scope() as session:
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.task_id == task_id)).all()
        session.expunge_all()
        return list(rows)


def test_api_killed_after_commit_before_answer_is_replayed_not_repeated(shared_pg_database, services, campaign_code):
    api = services.launch_api(TISHENG_TEST_CRASH_POINT="decision-accepted")
    schools = submitted_campaign(campaign_code, 2)
    services.wait_for_api(api)
    office = login(services.api_url)
    first, second = open_plan_reviews(services.api_url, office, campaign_code)
    key = {**office, "Idempotency-Key": f"file-{first['id']}", "If-Match": f'"{first["version"]}"'}

    with pytest.raises(httpx.TransportError):   # the connection drops: no answer at all
        httpx.post(f"{services.api_url}/tasks/{first['id']}/complete", json=FILE, headers=key, timeout=30)
    assert api.wait(timeout=10) == -signal.SIGKILL
    [queued] = outbox_of(first["id"])           # accepted: committed before the process died
    assert queued.status == OutboxStatus.PENDING

    services.start_api()                        # restarted without the crash point
    replay = httpx.post(f"{services.api_url}/tasks/{first['id']}/complete", json=FILE, headers=key, timeout=30)
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == queued.id and replay.json()["status"] == "pending"
    fresh_key = {**office, "Idempotency-Key": f"again-{first['id']}"}
    again = httpx.post(f"{services.api_url}/tasks/{first['id']}/complete", json=FILE, headers=fresh_key, timeout=30)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    other = httpx.post(f"{services.api_url}/tasks/{second['id']}/complete", json=FILE, timeout=30,
                       headers={**office, "Idempotency-Key": f"file-{second['id']}"})
    assert other.status_code == 202 and "idempotent-replayed" not in other.headers

    services.start_dispatcher()
    wait_until(lambda: all(e.status != OutboxStatus.PENDING for t in (first, second) for e in outbox_of(t["id"])),
               120, "the dispatcher to apply both decisions")
    assert len(outbox_of(first["id"])) == 1
    with session_scope() as session:
        assert session.get(HumanTask, first["id"]).status == TaskStatus.COMPLETED
        assert {repo.school_enrolment(session, campaign_code, s).state for s in schools} == {SchoolState.TRAINING}
    assert_settled(campaign_code, [queued.id, other.json()["id"]])

"""Fault: the dispatcher is SIGKILLed in the middle of a bulk run, then restarted."""
import httpx
import pytest
from sqlalchemy import func, select

from infra.db import session_scope
from models.audit import AuditEntry
from models.campaign import Campaign
from models.outbox import OutboxEntry, OutboxStatus
from tests.faults.conftest import login, open_plan_reviews, submitted_campaign, wait_until
from tests.faults.invariants import assert_settled

pytestmark = pytest.mark.faults
SCHOOLS = 24


def moves_applied(campaign: str) -> int:
    """Audit entries of decisions taken from the outbox (committed by a flow run, settled or not)."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).join(
            Campaign, Campaign.id == AuditEntry.campaign_id).where(
            Campaign.code == campaign, AuditEntry.command_key.like("task:%")))


def pending(campaign: str) -> int:
    """Outbox entries of the campaign still pending."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.campaign == campaign, OutboxEntry.status == OutboxStatus.PENDING))


def test_dispatcher_killed_mid_bulk_run_applies_every_decision_once(shared_pg_database, services, campaign_code):
    api = services.launch_api()
    submitted_campaign(campaign_code, SCHOOLS)
    services.wait_for_api(api)
    office = login(services.api_url)
    accepted = []
    for task in open_plan_reviews(services.api_url, office, campaign_code):
        answer = httpx.post(f"{services.api_url}/tasks/{task['id']}/complete", timeout=30,
                            json={"kind": "plan_review", "outcome": "file"},
                            headers={**office, "Idempotency-Key": f"file-{task['id']}"})
        assert answer.status_code == 202, answer.text
        accepted.append(answer.json()["id"])
    assert len(accepted) == SCHOOLS and pending(campaign_code) == SCHOOLS

    dispatcher = services.start_dispatcher(wait=False)  # one round takes them all: one bulk run
    wait_until(lambda: moves_applied(campaign_code) >= 1, 120, "the bulk run's first applied decision", every=0.01)
    services.kill(dispatcher)
    done = moves_applied(campaign_code)
    assert 1 <= done < SCHOOLS, f"killed after {done} of {SCHOOLS}: not in the middle of the run"
    assert pending(campaign_code) == SCHOOLS     # the round was cut before it settled any entry

    services.start_dispatcher()
    wait_until(lambda: pending(campaign_code) == 0, 120, "the restarted dispatcher to drain the outbox")
    assert moves_applied(campaign_code) == SCHOOLS
    assert_settled(campaign_code, accepted)

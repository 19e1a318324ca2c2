"""A decision whose move is recorded but whose follow-up work fails (the evidence store down while a passed school's
evidence is held) is not a refusal: it stays queued, its task is not reopened, and the next round finishes it."""
import io
import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import app
from flows.dispatch import dispatch_once
from infra import repository as repo
from infra.db import session_scope
from infra.evidence import LocalEvidenceStore, _ready_store
from infra.settings import get_settings
from models.audit import AuditEntry
from models.enums import SchoolState as S
from models.evidence import Evidence
from models.human_task import HumanTask
from models.outbox import OutboxEntry, OutboxStatus
from tests.integration.test_reopened_tasks import COUNTY, SCHOOL, _drive_to, _login, _scores
from tests.support.presenters import verify_presenters


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _use_store(monkeypatch, url: str) -> None:
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", url)
    get_settings.cache_clear()
    _ready_store.cache_clear()


def _record_evidence(campaign: str, store: LocalEvidenceStore) -> None:
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        key = f"{campaign}/{COUNTY}/{SCHOOL}/_school/_all/report-1"
        version = store.put(key, io.BytesIO(b"report"), 6, "application/pdf")
        session.add(Evidence(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item="report",
                             key=key, version_id=version.version_id, size=version.size, sha256=version.sha256,
                             content_type="application/pdf", original_name="报告.pdf", uploaded_by="tester"))


@pytest.fixture
def restore_store():
    yield
    get_settings.cache_clear()
    _ready_store.cache_clear()


def test_a_move_whose_evidence_hold_fails_stays_queued_and_is_finished_by_the_next_round(
        database, prefect_harness, campaign_code, tmp_path, monkeypatch, restore_store):
    store = LocalEvidenceStore(tmp_path / "evidence", get_settings().secret_key.get_secret_value())
    _use_store(monkeypatch, str(store.root))  # the plan's documents, filed while driving, are held with the rest
    driver = _drive_to(campaign_code, S.COUNTY_ASSESSMENT)
    verify_presenters(campaign_code, SCHOOL)
    _record_evidence(campaign_code, store)
    http = TestClient(app)
    headers = _login(http, "demo-county-expert")
    task = http.get("/tasks", params={"campaign": campaign_code, "kind": "county_assessment_scoring"},
                    headers=headers).json()["items"][0]
    accepted = http.post(f"/tasks/{task['id']}/complete", headers=headers, json={
        "kind": "county_assessment_scoring", "outcome": "pass", **_scores(driver, passing=True)})
    assert accepted.status_code == 202

    _use_store(monkeypatch, f"s3://test:test@127.0.0.1:{_closed_port()}/evidence?secure=false")  # the store is down
    assert dispatch_once()["unfinished"] == 1
    with session_scope() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.task_id == task["id"])).one()
        assert entry.status == OutboxStatus.PENDING and entry.attempts == 1 and "follow-up work failed" in entry.last_error
        assert session.get(HumanTask, task["id"]).status == "completed"  # not reopened: the move stands
        enrolment = repo.school_enrolment(session, campaign_code, SCHOOL)
        assert enrolment.state == S.LOCKED and enrolment.evidence_held_at is None
    assert http.get(accepted.headers["location"], headers=headers).json()["status"] == "pending"

    _use_store(monkeypatch, str(store.root))  # the store is back
    assert dispatch_once() == {"applied": 1, "refused": 0, "unfinished": 0}
    with session_scope() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.task_id == task["id"])).one()
        assert entry.status == OutboxStatus.APPLIED and entry.attempts == 2
        enrolment = repo.school_enrolment(session, campaign_code, SCHOOL)
        assert enrolment.evidence_held_at is not None
        assert all(e.held for e in session.scalars(select(Evidence).where(
            Evidence.school_enrolment_id == enrolment.id)))
        moves = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.command_key == entry.command_key()))
        assert moves == 1  # moved once, though applied over two rounds

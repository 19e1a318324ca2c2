"""A campaign closed by the year-end closeout refuses every write (409 problem+json, CampaignClosed) and keeps
every read: decisions, claims, evidence, deadlines, transitions, imports and queued decisions."""
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.dispatch import dispatch_once
from flows.imports import import_catalog, import_hours
from flows.transition import run_transition
from infra import repository as repo
from infra.closeout_queries import freeze
from infra.db import session_scope
from models.audit import AuditEntry
from models.calendar import CalendarOverride
from models.campaign import HourRecord as HourRecordRow, MicroAbility, Submission, TeacherEnrolment
from models.catalog import load_catalog
from models.clock import utcnow
from models.enums import SchoolEvent, SchoolState, SubmissionStatus, TaskKind, TaskStatus
from models.errors import CampaignClosed
from models.evidence import Evidence, EvidenceUpload
from models.hours import HourKind, HourRecord
from models.human_task import HumanTask
from models.outbox import OutboxEntry, OutboxStatus
from models.policy import Policy
from models.transition import TransitionRequest
from tests.integration.test_evidence_api import (  # noqa: F401 (local_store: the fixture, used by name)
    MP4, PDF, TEACHER, auth as bearer, local_store, promise, send,
)
from tests.integration.test_inbox import auth, review_task
from tests.support.plans import plan_of

SCHOOL, COUNTY = "DEMO-X1-S001", "DEMO-C1-X1"
OFFICE = "demo-county-office"


@pytest.fixture
def campaign(database, prefect_harness, campaign_code) -> str:
    """A demo campaign whose first school filed its plan: a plan_review task is open for the county office."""
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=2)
    run_transition(submit_plan(campaign_code))
    return campaign_code


def submit_plan(campaign: str) -> TransitionRequest:
    return TransitionRequest(campaign=campaign, county=COUNTY, school=SCHOOL, event=SchoolEvent.SUBMIT_PLAN,
                             actor="admin", payload={"plan": plan_of(campaign)}, expected_version=1)


def close(campaign: str) -> None:
    """Freeze the campaign as the year-end closeout does."""
    with session_scope() as session:
        freeze(session, repo.campaign_by_code(session, campaign).id, utcnow())


def closed_problem(answer, campaign: str) -> dict:
    """The 409 problem document of a closed campaign."""
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "Campaign closed" and problem["status"] == 409
    assert f"campaign '{campaign}' was closed at " in problem["detail"] and "+08:00" in problem["detail"]
    return problem


def school(campaign: str) -> tuple[str, int, int]:
    """The school's state, version and audit entries (its enrolment's and its moves')."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        entries = session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.school_enrolment_id == enrolment.id))
        return enrolment.state, enrolment.version, entries


def task_row(task_id: int) -> tuple[str, int, str | None]:
    with session_scope() as session:
        task = session.get(HumanTask, task_id)
        return task.status, task.version, task.claimed_by


def count(model, **where) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(
            *(getattr(model, k) == v for k, v in where.items())))


def campaign_id(campaign: str) -> int:
    with session_scope() as session:
        return repo.campaign_by_code(session, campaign).id


def test_task_writes_answer_409_and_change_nothing_while_reads_answer(campaign):
    http = TestClient(app)
    office = auth(http, OFFICE)
    task = review_task(http, campaign, office)
    close(campaign)
    before = task_row(task["id"])
    closed_problem(http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"},
                             headers=office), campaign)
    closed_problem(http.post(f"/tasks/{task['id']}/claim", headers=office), campaign)
    closed_problem(http.post(f"/tasks/{task['id']}/release", headers=office), campaign)
    closed_problem(http.post(f"/tasks/{task['id']}/reassign", json={"to": OFFICE}, headers=office), campaign)
    assert task_row(task["id"]) == before == (TaskStatus.OPEN, task["version"], None)
    assert count(OutboxEntry, task_id=task["id"]) == 0

    open_tasks = http.get("/tasks", params={"campaign": campaign}, headers=office).json()["items"]
    assert sorted(t["kind"] for t in open_tasks) == ["plan_review", "plan_submission"]  # the other school's plan
    assert http.get(f"/tasks/{task['id']}", headers=office).status_code == 200
    progress = http.get(f"/campaigns/{campaign}/progress", headers=office)
    assert progress.status_code == 200 and progress.json()["by_state"] == {"plan_submitted": 1, "plan_drafting": 1}
    history = http.get(f"/campaigns/{campaign}/schools/{SCHOOL}/history", headers=office)
    assert history.status_code == 200 and [e["event"] for e in history.json()["entries"]] == [
        "enrol_school", "submit_plan"]


def test_a_deadline_change_answers_409_and_stores_nothing(campaign):
    http = TestClient(app)
    office = auth(http, OFFICE)
    with session_scope() as session:
        final = Policy.model_validate(repo.campaign_by_code(session, campaign).policy).final_deadline
    close(campaign)
    answer = http.put(f"/campaigns/{campaign}/calendar/{COUNTY}/stage/school_review",
                      json={"deadline": (final - timedelta(days=1)).isoformat()}, headers=office)
    closed_problem(answer, campaign)
    assert count(CalendarOverride, campaign_id=campaign_id(campaign)) == 0
    assert http.get(f"/campaigns/{campaign}/calendar", headers=office).status_code == 200


def test_a_transition_is_refused_and_a_replay_still_answers(campaign):
    close(campaign)
    before = school(campaign)
    with pytest.raises(CampaignClosed, match=f"campaign '{campaign}' was closed"):
        run_transition(TransitionRequest(campaign=campaign, county=COUNTY, school=SCHOOL, event=SchoolEvent.FILE_PLAN,
                                         actor="tester", payload={}))
    assert school(campaign) == before == (SchoolState.PLAN_SUBMITTED, 2, 2)
    replay = run_transition(submit_plan(campaign))  # applied before the close: its outcome, not a refusal
    assert replay.duplicate and replay.to_state == SchoolState.PLAN_SUBMITTED
    assert school(campaign) == before


def test_a_transition_read_before_the_freeze_cannot_commit_after_it(campaign):
    from tasks.transitions import commit_school_transition, load_school_snapshot

    request = TransitionRequest(campaign=campaign, county=COUNTY, school=SCHOOL, event=SchoolEvent.FILE_PLAN,
                                actor="tester", payload={})
    snapshot = load_school_snapshot.fn(request)  # the campaign is still open here
    close(campaign)
    before = school(campaign)
    with pytest.raises(CampaignClosed):
        commit_school_transition.fn(request, snapshot, SchoolState.TRAINING, None)
    assert school(campaign) == before == (SchoolState.PLAN_SUBMITTED, 2, 2)


def test_catalog_and_hour_imports_write_nothing(campaign):
    catalog = {m.code: m for m in load_catalog()}
    entries = [e for e in load_catalog() if e.code != "A1"]
    with session_scope() as session:
        abilities = session.scalars(select(MicroAbility.code).where(
            MicroAbility.campaign_id == repo.campaign_by_code(session, campaign).id)).all()
    assert "A1" in catalog and sorted(abilities) == sorted(catalog)
    close(campaign)
    with pytest.raises(CampaignClosed):
        import_catalog(campaign, entries)
    assert count(MicroAbility, campaign_id=campaign_id(campaign), code="A1") == 1
    with pytest.raises(CampaignClosed):
        import_hours(campaign, [HourRecord(f"{SCHOOL}-t001", "课程一", 60, 60, HourKind.ONLINE, 2)])
    with session_scope() as session:
        records = session.scalar(select(func.count()).select_from(HourRecordRow).join(
            TeacherEnrolment, TeacherEnrolment.id == HourRecordRow.teacher_enrolment_id).where(
            TeacherEnrolment.campaign_id == repo.campaign_by_code(session, campaign).id))
    assert records == 0


def _grading_task(campaign: str) -> tuple[int, int, dict[str, str]]:
    """A submission of the school's first teacher, its open grading task and a passing grade for every item."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        teacher = session.scalars(select(TeacherEnrolment).where(
            TeacherEnrolment.school_enrolment_id == enrolment.id).order_by(TeacherEnrolment.id)).first()
        ability = session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id)
                                  .order_by(MicroAbility.code)).first()
        submission = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id)
        session.add(submission)
        session.flush()
        task = HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.SUBMISSION_GRADING,
                         school_enrolment_id=enrolment.id, submission_id=submission.id,
                         unit_id=enrolment.school_id, candidate_role="group_leader",
                         due_at=utcnow() + timedelta(days=7), origin_key=f"test-closed-{submission.id}")
        session.add(task)
        session.flush()
        return task.id, submission.id, {item: "pass" for item in ability.evidence_items}


def test_decisions_queued_before_the_close_are_refused_once_and_their_tasks_cancelled(campaign):
    http = TestClient(app)
    office = auth(http, OFFICE)
    review = review_task(http, campaign, office)
    filed = http.post(f"/tasks/{review['id']}/complete", json={"kind": "plan_review", "outcome": "file"},
                      headers=office)
    grading_id, submission_id, items = _grading_task(campaign)
    graded = http.post(f"/tasks/{grading_id}/complete", json={"kind": "submission_grading", "items": items},
                       headers=auth(http, f"{SCHOOL}-leader"))
    assert (filed.status_code, graded.status_code) == (202, 202), graded.text
    close(campaign)
    before = school(campaign)
    dispatch_once()
    dispatch_once()  # a refusal is final: not retried, not applied
    with session_scope() as session:
        decisions = [session.get(OutboxEntry, answer.json()["id"]) for answer in (filed, graded)]
        assert [(d.status, d.attempts) for d in decisions] == [(OutboxStatus.REFUSED, 1)] * 2
        assert all(f"campaign '{campaign}' was closed at " in d.last_error for d in decisions)
        assert session.get(Submission, submission_id).status == SubmissionStatus.SUBMITTED
    assert task_row(review["id"])[0] == task_row(grading_id)[0] == TaskStatus.CANCELLED  # never reopened
    assert school(campaign) == before
    followed = http.get(filed.headers["location"], headers=office).json()
    assert followed["status"] == "refused" and campaign in followed["error"]


def test_evidence_uploads_answer_409_and_record_nothing(campaign, local_store):
    http = TestClient(app)
    teacher = bearer(TEACHER)
    started = http.post("/evidence/uploads", json=promise(campaign, MP4), headers=teacher)
    assert started.status_code == 201, started.text
    assert send(started.json()["ticket"], MP4).status_code == 204
    uploads = count(EvidenceUpload, campaign_id=campaign_id(campaign))  # the plan's three files and this one
    recorded = count(Evidence, campaign_id=campaign_id(campaign))  # the plan's three files
    close(campaign)

    closed_problem(http.post(started.json()["links"]["complete"], headers=teacher), campaign)
    closed_problem(http.post("/evidence/uploads", json=promise(campaign, PDF, item="reflection",
                                                               file_name="教学反思.pdf"), headers=teacher), campaign)
    fields = {k: str(v) for k, v in promise(campaign, PDF, item="reflection", file_name="教学反思.pdf").items()}
    direct = http.post("/evidence", data={k: v for k, v in fields.items() if k != "size"},
                       files={"file": ("教学反思.pdf", PDF, "application/pdf")}, headers=teacher)
    closed_problem(direct, campaign)
    assert count(EvidenceUpload, campaign_id=campaign_id(campaign)) == uploads == 4
    assert count(Evidence, campaign_id=campaign_id(campaign)) == recorded == 3
    listed = http.get("/evidence", params={"campaign": campaign}, headers=teacher)  # school-wide files: the plan's
    assert listed.status_code == 200 and [e["item"] for e in listed.json()["items"]] == ["plan"] * 3

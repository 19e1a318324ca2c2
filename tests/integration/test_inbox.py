"""The inbox end to end: list, claim, complete into the outbox, dispatch by a flow run, exactly once."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings
from sqlalchemy import func, select

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.dispatch import dispatch_once
from flows.transition import run_transition
from infra import repository as repo
from infra.db import session_scope
from models.audit import AuditEntry
from models.enums import SchoolEvent, SchoolState
from models.outbox import OutboxEntry, OutboxStatus
from models.transition import TransitionRequest
from tasks.demo_setup import DEMO_PASSWORD
from tests.support.plans import plan_of

SCHOOL = "DEMO-X1-S001"


@pytest.fixture
def submitted(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=1)
    run_transition(TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school=SCHOOL,
                                     event=SchoolEvent.SUBMIT_PLAN, actor="admin", payload={"plan": plan_of(campaign_code, SCHOOL)}))
    return TestClient(app), campaign_code


def auth(http, username):
    token = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def review_task(http, campaign, headers):
    page = http.get("/tasks", params={"campaign": campaign, "kind": "plan_review"}, headers=headers).json()
    return page["items"][0]


def school_state(campaign):
    with session_scope() as session:
        return repo.school_enrolment(session, campaign, SCHOOL).state


def entry_status(entry_id):
    """Status and attempts of one outbox entry (other tests' entries may share the database)."""
    with session_scope() as session:
        entry = session.get(OutboxEntry, entry_id)
        return entry.status, entry.attempts


def test_inbox_shows_each_role_its_own_tasks(submitted):
    http, campaign = submitted
    office = http.get("/tasks", params={"campaign": campaign}, headers=auth(http, "demo-county-office")).json()
    # The other school has not filed yet: the office sees its plan_submission too (everything of its subtree).
    assert sorted((t["kind"], t["school"]["code"]) for t in office["items"]) == [
        ("plan_review", SCHOOL), ("plan_submission", "DEMO-X1-S002")]
    assert http.get("/tasks", params={"campaign": campaign}, headers=auth(http, "demo-county-expert")).json()["total"] == 0
    assert http.get("/tasks", params={"campaign": campaign}, headers=auth(http, f"{SCHOOL}-admin")).json()["total"] == 0
    later = http.get("/tasks", params={"campaign": campaign, "due_after": "2999-01-01T00:00:00Z"},
                     headers=auth(http, "demo-county-office")).json()
    assert later["total"] == 0


def test_complete_is_accepted_queued_and_applied_once(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    claimed = http.post(f"/tasks/{task['id']}/claim", headers={**office, "If-Match": f'"{task["version"]}"'})
    assert claimed.status_code == 200 and claimed.headers["etag"] == f'"{task["version"] + 1}"'
    stale = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"},
                      headers={**office, "If-Match": f'"{task["version"]}"'})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"

    headers = {**office, "If-Match": claimed.headers["etag"], "Idempotency-Key": "k-1"}
    accepted = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=headers)
    assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
    replayed = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=headers)
    assert replayed.status_code == 202 and replayed.json() == accepted.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    again = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=office)
    assert again.status_code == 409
    assert school_state(campaign) == SchoolState.PLAN_SUBMITTED          # accepted, not yet applied

    dispatch_once()
    assert entry_status(accepted.json()["id"]) == (OutboxStatus.APPLIED, 1)
    dispatch_once()
    assert entry_status(accepted.json()["id"]) == (OutboxStatus.APPLIED, 1)   # not applied a second time
    assert school_state(campaign) == SchoolState.TRAINING
    followed = http.get(accepted.headers["location"], headers=office).json()
    assert followed["status"] == "applied" and len(followed["flow_run_id"]) == 36


def test_a_refused_decision_reopens_the_task_with_its_reason(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "return", "reason": "主题不清"},
              headers=office)
    dispatch_once()
    admin = auth(http, f"{SCHOOL}-admin")
    revision = http.get("/tasks", params={"campaign": campaign}, headers=admin).json()["items"][0]
    without_set = {k: v for k, v in plan_of(campaign, SCHOOL).items() if k != "micro_abilities"}
    accepted = http.post(f"/tasks/{revision['id']}/complete", json={"kind": "plan_revision", "plan": without_set},
                         headers=admin)
    assert accepted.status_code == 202
    dispatch_once()
    assert entry_status(accepted.json()["id"])[0] == OutboxStatus.REFUSED
    status = http.get(accepted.headers["location"], headers=admin).json()
    assert status["status"] == "refused" and "micro_abilities (the school's chosen set) is required" in status["error"]
    assert http.get(f"/tasks/{revision['id']}", headers=admin).json()["status"] == "open"


def test_wrong_kind_missing_reason_and_wrong_role_are_refused(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    missing = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "return"}, headers=office)
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    wrong_kind = http.post(f"/tasks/{task['id']}/complete", json={"kind": "spot_check", "outcome": "pass"}, headers=office)
    assert wrong_kind.status_code == 400
    expert = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"},
                       headers=auth(http, "demo-county-expert"))
    assert expert.status_code == 404  # not in a county expert's inbox: not theirs to see, so not to decide


@pytest.mark.parametrize("reason", ["\u0000", "\u200b", "\ufeff\u200b"], ids=["nul", "zero-width", "bom"])
def test_a_reason_with_nothing_visible_is_refused_and_the_task_unchanged(submitted, reason):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    before = http.get(f"/tasks/{task['id']}", headers=office).json()
    answer = http.post(f"/tasks/{task['id']}/complete", headers=office,
                       json={"kind": "plan_review", "outcome": "return", "reason": reason})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["body.plan_review.return.reason"]
    assert http.get(f"/tasks/{task['id']}", headers=office).json() == before
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.task_id == task["id"])) == 0
    assert school_state(campaign) == SchoolState.PLAN_SUBMITTED


def test_control_characters_are_refused_in_every_free_text_field(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    bodies = {
        "body.plan_review.file.comment": {"kind": "plan_review", "outcome": "file", "comment": "同意\u0007备案"},
        "body.plan_review.return.reason": {"kind": "plan_review", "outcome": "return", "reason": "主题\r不清"},
    }
    for field, body in bodies.items():
        answer = http.post(f"/tasks/{task['id']}/complete", headers=office, json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field
        assert "U+0007" in answer.json()["errors"][0]["message"] or "U+000D" in answer.json()["errors"][0]["message"]
    moved = http.post(f"/tasks/{task['id']}/reassign", headers=office, json={"to": "demo-county-office\u001b"})
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "body.to"
    kept = http.post(f"/tasks/{task['id']}/complete", headers=office,
                     json={"kind": "plan_review", "outcome": "return", "reason": "第一，主题不清；\r\n第二，\t学时不足"})
    assert kept.status_code == 202


def test_a_decision_without_kind_is_refused_naming_kind(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    answer = http.post(f"/tasks/{task['id']}/complete", headers=office, json={"outcome": "file"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert "kind" in answer.json()["errors"][0]["message"]
    assert http.get(f"/tasks/{task['id']}", headers=office).json()["status"] == "open"


def test_twenty_concurrent_completions_one_wins(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)

    def complete(_):
        with TestClient(app) as client:
            return client.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"},
                               headers={**office, "If-Match": f'"{task["version"]}"'}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(complete, range(20)))
    assert codes.count(202) == 1 and set(codes) <= {202, 409, 412}
    dispatch_once()
    with session_scope() as session:
        entries = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.task_id == task["id"]))
        filed = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "file_plan",
                                                                                  AuditEntry.command_key.like(f"task:{task['id']}:%")))
    assert (entries, filed) == (1, 1)
    assert school_state(campaign) == SchoolState.TRAINING


def test_decisions_wait_while_prefect_is_down_and_apply_once_it_is_back(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    accepted = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=office)
    assert accepted.status_code == 202
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}):
        with pytest.raises(Exception):
            dispatch_once()
    assert entry_status(accepted.json()["id"])[0] == OutboxStatus.PENDING
    assert school_state(campaign) == SchoolState.PLAN_SUBMITTED
    dispatch_once()
    dispatch_once()
    assert entry_status(accepted.json()["id"]) == (OutboxStatus.APPLIED, 1)
    with session_scope() as session:
        filed = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.command_key == f"task:{task['id']}:file_plan"))
    assert filed == 1 and school_state(campaign) == SchoolState.TRAINING


def test_an_applied_decision_links_to_its_flow_run_in_the_prefect_ui(submitted):
    http, campaign = submitted
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    accepted = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=office)
    dispatch_once()
    followed = http.get(accepted.headers["location"], headers=office).json()
    assert followed["links"]["flow_run"].endswith(f"/runs/flow-run/{followed['flow_run_id']}")


def _person(username, role, unit_code, campaign=None, teaches_at=None):
    """Create a reviewer (optionally also enrolled as a teacher at a school of the campaign)."""
    from infra.security import hash_password
    from models.campaign import TeacherEnrolment
    from models.org import Person, Unit

    with session_scope() as session:
        unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one()
        person = Person(username=username, name=username, role=role, unit_id=unit.id,
                        password_hash=hash_password(DEMO_PASSWORD))
        session.add(person)
        session.flush()
        if teaches_at:
            enrolment = repo.school_enrolment(session, campaign, teaches_at)
            session.add(TeacherEnrolment(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id,
                                         teacher_id=person.id))
        return person.id


def test_an_office_reassigns_only_to_the_right_role_inside_its_unit(submitted, campaign_code):
    http, campaign = submitted
    _person(f"{campaign_code}-office2", "county_office", "DEMO-C1-X1")
    office = auth(http, "demo-county-office")
    task = review_task(http, campaign, office)
    wrong_role = http.post(f"/tasks/{task['id']}/reassign", json={"to": "demo-county-expert"}, headers=office)
    assert wrong_role.status_code == 403
    not_office = http.post(f"/tasks/{task['id']}/reassign", json={"to": f"{campaign_code}-office2"},
                           headers=auth(http, "demo-county-expert"))
    assert not_office.status_code == 404  # the plan review is not in a county expert's inbox
    moved = http.post(f"/tasks/{task['id']}/reassign", json={"to": f"{campaign_code}-office2"}, headers=office)
    assert moved.status_code == 200 and moved.json()["claimed_by"] == f"{campaign_code}-office2"
    held = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=office)
    assert held.status_code == 409


def test_a_county_reviewer_never_reviews_a_school_they_teach_at(submitted, campaign_code):
    http, campaign = submitted
    _person(f"{campaign_code}-insider", "county_office", "DEMO-C1-X1", campaign, teaches_at=SCHOOL)
    insider = auth(http, f"{campaign_code}-insider")
    task = review_task(http, campaign, insider)
    refused = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=insider)
    assert refused.status_code == 403 and "belong to" in refused.json()["detail"]


def test_nobody_grades_their_own_submission(submitted, campaign_code):
    from datetime import timedelta

    from models.campaign import MicroAbility, Submission, TeacherEnrolment
    from models.clock import utcnow
    from models.enums import TaskKind
    from models.human_task import HumanTask

    http, campaign = submitted
    leader = _person(f"{campaign_code}-leader", "group_leader", SCHOOL, campaign, teaches_at=SCHOOL)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        teacher = session.scalars(select(TeacherEnrolment).where(TeacherEnrolment.teacher_id == leader)).one()
        ability = session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id)).first()
        own = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id)
        session.add(own)
        session.flush()
        task = HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.SUBMISSION_GRADING,
                         school_enrolment_id=enrolment.id, submission_id=own.id, unit_id=enrolment.school_id,
                         candidate_role="group_leader", due_at=utcnow() + timedelta(days=7),
                         origin_key=f"test-own-{own.id}")
        session.add(task)
        session.flush()
        task_id = task.id
    refused = http.post(f"/tasks/{task_id}/complete", json={"kind": "submission_grading", "items": {"学情分析方案": "excellent"}},
                        headers=auth(http, f"{campaign_code}-leader"))
    assert refused.status_code == 403 and "own submission" in refused.json()["detail"]

"""A decision the lifecycle refuses reopens its task; the task is then decided again, through the API and the
dispatcher, for every task kind a guard can refuse — and a double click on the second decision stays harmless."""
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import DemoDriver, file_plan_documents, set_up_demo_campaign
from tests.support.presenters import verify_presenters
from flows.dispatch import dispatch_once
from infra import repository as repo
from infra.db import session_scope
from models.campaign import TeacherEnrolment
from models.enums import Grade, SchoolEvent as E, SchoolState as S
from models.outbox import OutboxEntry, OutboxStatus
from models.policy import load_preset
from tasks.demo_setup import DEMO_PASSWORD

SCHOOL, COUNTY, TEACHERS = "DEMO-X1-S001", "DEMO-C1-X1", 3
LOW = 0.4  # the share of each item's points a failing school gets (the demo's failed assessment)


@dataclass(frozen=True)
class Case:
    """A task kind and how to reach it; a decision its guard refuses; what to mend; a decision it accepts."""

    reach: S
    kind: str
    decider: str
    refused: Callable[[DemoDriver], dict]
    guard: str
    accepted: Callable[[DemoDriver], dict]
    then: S
    mend: Callable[[str], None] = lambda campaign: None
    prepare: Callable[[str, DemoDriver], None] = lambda campaign, driver: None


def _plan(driver, **changes):
    plan = {**driver.script.plan(SCHOOL, file_plan_documents(driver.run.roster.campaign, SCHOOL, driver.script),
                                  driver._catalog()), **changes}
    return {k: v for k, v in plan.items() if v is not None}


def _scores(driver, passing: bool) -> dict:
    policy = load_preset("yanzhou-2022")
    if passing:
        _, payload = driver.script.county_decision(SCHOOL, 1, policy, TEACHERS)
        return {"scores": payload["scores"], "works_sent_up": payload["works_sent_up"]}
    driver.script.failed_assessment_school = SCHOOL
    _, payload = driver.script.county_decision(SCHOOL, 1, policy, TEACHERS)
    driver.script.failed_assessment_school = None
    return {"scores": payload["scores"], "works_sent_up": payload["works_sent_up"]}


def _set_teacher_result(campaign: str, result: Grade | None) -> None:
    """One teacher's result (None: not graded yet), as a school regrading its teachers would leave it."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        teacher = session.scalars(select(TeacherEnrolment).where(
            TeacherEnrolment.school_enrolment_id == enrolment.id).order_by(TeacherEnrolment.id)).first()
        teacher.result = result


def _return_plan(campaign, driver):
    driver._apply(SCHOOL, E.RETURN_PLAN, "demo-county-office", {"reason": "研修主题不清，请修改后重新报送"})


def _fail_assessment(campaign, driver):
    driver._apply(SCHOOL, E.FAIL_COUNTY_ASSESSMENT, "demo-county-expert",
                  {**_scores(driver, passing=False), "reason": "校本研修组织实施记录不完整，需整改"})
    _set_teacher_result(campaign, None)  # the unmended school: one teacher has no result yet


CASES = {
    "plan_revision": Case(
        S.PLAN_SUBMITTED, "plan_revision", f"{SCHOOL}-admin",
        refused=lambda d: {"kind": "plan_revision", "plan": _plan(d, micro_abilities=["A1", "A3"])},
        guard="plan_is_complete",
        accepted=lambda d: {"kind": "plan_revision", "plan": _plan(d)},
        then=S.PLAN_SUBMITTED, prepare=_return_plan),
    "county_pass_below_the_mark": Case(
        S.COUNTY_ASSESSMENT, "county_assessment_scoring", "demo-county-expert",
        refused=lambda d: {"kind": "county_assessment_scoring", "outcome": "pass", **_scores(d, passing=False)},
        guard="county_score_passes",
        accepted=lambda d: {"kind": "county_assessment_scoring", "outcome": "pass", **_scores(d, passing=True)},
        then=S.LOCKED, prepare=lambda campaign, _: verify_presenters(campaign, SCHOOL)),
    "county_fail_at_the_mark": Case(
        S.COUNTY_ASSESSMENT, "county_assessment_scoring", "demo-county-expert",
        refused=lambda d: {"kind": "county_assessment_scoring", "outcome": "fail", **_scores(d, passing=True),
                           "reason": "材料不全"},
        guard="county_score_fails",
        accepted=lambda d: {"kind": "county_assessment_scoring", "outcome": "fail", **_scores(d, passing=False),
                            "reason": "校本研修组织实施记录不完整，需整改"},
        then=S.RECTIFYING),
    "rectification": Case(
        S.COUNTY_ASSESSMENT, "rectification", f"{SCHOOL}-admin",
        refused=lambda d: {"kind": "rectification", "report": "已整改"},
        guard="every_teacher_has_result",
        accepted=lambda d: {"kind": "rectification", "report": "已补齐全部教师的校本应用考核结果"},
        then=S.COUNTY_ASSESSMENT, prepare=_fail_assessment,
        mend=lambda campaign: _set_teacher_result(campaign, Grade.PASS)),
}


def _drive_to(campaign: str, state: S) -> DemoDriver:
    roster = set_up_demo_campaign(campaign, "yanzhou-2022", schools=1, teachers=TEACHERS)
    driver = DemoDriver(roster, seed=3)
    driver.script.returned_plan_school = driver.script.failed_assessment_school = None
    if state is S.PLAN_SUBMITTED:
        driver.step(SCHOOL)
    while driver._state(SCHOOL)[0] is not state:
        driver.step(SCHOOL)
    return driver


def _login(http, username):
    token = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_reopened_task_is_decided_again_and_applied_once(database, prefect_harness, campaign_code, case):
    driver = _drive_to(campaign_code, case.reach)
    case.prepare(campaign_code, driver)
    http = TestClient(app)
    headers = _login(http, case.decider)
    task = http.get("/tasks", params={"campaign": campaign_code, "kind": case.kind}, headers=headers).json()["items"][0]

    first = http.post(f"/tasks/{task['id']}/complete", json=case.refused(driver), headers=headers)
    assert first.status_code == 202 and first.json()["task_attempt"] == 1
    dispatch_once()
    refusal = http.get(first.headers["location"], headers=headers).json()
    assert refusal["status"] == "refused" and case.guard in refusal["error"]
    reopened = http.get(f"/tasks/{task['id']}", headers=headers)
    assert reopened.json()["status"] == "open"

    case.mend(campaign_code)
    body, etag = case.accepted(driver), reopened.headers["etag"]

    def complete(_):
        with TestClient(app) as client:
            return client.post(f"/tasks/{task['id']}/complete", json=body, headers={**headers, "If-Match": etag})

    with ThreadPoolExecutor(max_workers=2) as pool:   # a double click on the second decision
        answers = list(pool.map(complete, range(2)))
    assert sorted(a.status_code for a in answers) in ([202, 409], [202, 412])
    second = next(a for a in answers if a.status_code == 202)
    assert second.json()["task_attempt"] == 2 and second.json()["id"] != first.json()["id"]
    retried = http.post(f"/tasks/{task['id']}/complete", json=body, headers=headers)
    assert retried.status_code == 409

    dispatch_once()
    dispatch_once()
    assert http.get(second.headers["location"], headers=headers).json()["status"] == "applied"
    refusal_again = http.get(first.headers["location"], headers=headers).json()
    assert refusal_again == refusal                      # the first decision still says refused, and why
    with session_scope() as session:
        assert repo.school_enrolment(session, campaign_code, SCHOOL).state == case.then
        entries = session.scalars(select(OutboxEntry).where(OutboxEntry.task_id == task["id"])
                                  .order_by(OutboxEntry.task_attempt)).all()
        assert [(e.task_attempt, e.status, e.attempts) for e in entries] == [
            (1, OutboxStatus.REFUSED, 1), (2, OutboxStatus.APPLIED, 1)]

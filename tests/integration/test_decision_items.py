"""Decisions naming items their micro-ability or rubric lacks are refused when recorded, never dropped unseen."""
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import set_up_demo_campaign
from infra import repository as repo
from infra.db import session_scope
from infra.decision_items import check_decision_items
from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.clock import utcnow
from models.decisions import CountyPassed, SubmissionGradingDecision
from models.enums import TaskKind
from models.errors import UnknownItems
from models.human_task import HumanTask
from tasks.demo_setup import DEMO_PASSWORD

SCHOOL = "DEMO-X1-S001"


@pytest.fixture
def tasks(database, prefect_harness, campaign_code):
    """A grading task on a teacher's A1 submission (学情分析方案, 学情分析报告) and a county scoring task."""
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=1)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign_code, SCHOOL)
        teacher = session.scalars(select(TeacherEnrolment)
                                  .where(TeacherEnrolment.school_enrolment_id == enrolment.id)).first()
        ability = session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id,
                                                             MicroAbility.code == "A1")).one()
        submission = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id)
        session.add(submission)
        session.flush()
        made = {}
        for kind, graded, unit, role in [
            (TaskKind.SUBMISSION_GRADING, submission.id, enrolment.school_id, "group_leader"),
            (TaskKind.COUNTY_ASSESSMENT_SCORING, None, enrolment.school_id, "county_expert"),
        ]:
            task = HumanTask(campaign_id=enrolment.campaign_id, kind=kind, school_enrolment_id=enrolment.id,
                             submission_id=graded, unit_id=unit, candidate_role=role, due_at=utcnow() + timedelta(days=7),
                             origin_key=f"test-items-{kind}-{submission.id}")
            session.add(task)
            session.flush()
            made[kind] = task.id
    return made


def check(task_id: int, decision) -> None:
    with session_scope() as session:
        check_decision_items(session, session.get(HumanTask, task_id), decision)


def test_grades_of_the_micro_abilitys_own_items_pass(tasks):
    check(tasks[TaskKind.SUBMISSION_GRADING],
          SubmissionGradingDecision(kind="submission_grading",
                                    items={"学情分析方案": "excellent", "学情分析报告": "pass"}))


def test_an_unknown_evidence_item_is_named_and_refused(tasks):
    decision = SubmissionGradingDecision(kind="submission_grading",
                                         items={"学情分析方案": "pass", "课堂实录": "excellent"})
    with pytest.raises(UnknownItems, match="'课堂实录' not among the evidence items of micro-ability A1") as refused:
        check(tasks[TaskKind.SUBMISSION_GRADING], decision)
    assert refused.value.status_code == 422 and refused.value.unknown == ["课堂实录"]
    assert refused.value.errors == [{"field": "body.items.课堂实录",
                                     "message": "not among the evidence items of micro-ability A1"}]


def test_a_score_off_the_rubric_is_refused(tasks):
    decision = CountyPassed(kind="county_assessment_scoring", outcome="pass",
                            scores={"management_team": 1, "team_spirit": 1}, self_scores={"management_team": 1})
    with pytest.raises(UnknownItems, match="scores: 'team_spirit' not among the items of rubric yanzhou-2022-annex1"):
        check(tasks[TaskKind.COUNTY_ASSESSMENT_SCORING], decision)
    check(tasks[TaskKind.COUNTY_ASSESSMENT_SCORING],
          CountyPassed(kind="county_assessment_scoring", outcome="pass", scores={"management_team": 1}))


def test_the_api_answers_422_naming_the_unknown_item(tasks):
    http = TestClient(app)
    login = http.post("/auth/token", data={"username": f"{SCHOOL}-leader", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    answer = http.post(f"/tasks/{tasks[TaskKind.SUBMISSION_GRADING]}/complete", headers=headers,
                       json={"kind": "submission_grading", "items": {"学情分析方案": "pass", "课堂实录": "pass"}})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert "课堂实录" in answer.json()["detail"] and answer.json()["errors"][0]["field"] == "body.items.课堂实录"

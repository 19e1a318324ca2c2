"""The demo's services and the simulated teachers' work on the fast tier."""
import pytest
from sqlalchemy import func, select

from application import demo as demo_service, teacher_work
from application.demo_setup import load_school_roster
from infra import repository as repo
from infra import teacher_work as teacher_queries
from models.campaign import CountyQuota, PeerReview, Submission
from models.enums import SchoolState, TaskKind
from models.human_task import HumanTask
from models.errors import RuleViolated
from models.org import Unit
from models.policy import Policy
from models.simulation import DemoScript

SCHOOL = "DEMO-X1-S001"


def test_a_new_demo_school_drafts_its_plan_with_its_plan_submission_task_open(uow, demo):
    standing = demo_service.school_standing(uow, "fast", SCHOOL)
    assert (standing.state, standing.version) == (SchoolState.PLAN_DRAFTING, 1)
    assert uow.session.get(HumanTask, standing.task_id).kind == TaskKind.PLAN_SUBMISSION
    assert standing.policy["name"] == "yanzhou-2022" and standing[0] is SchoolState.PLAN_DRAFTING


def test_the_catalog_is_the_campaigns_micro_abilities_by_code(uow, demo):
    catalog = demo_service.campaign_catalog(uow, "fast")
    assert {"A1", "B1", "C1"} <= set(catalog) and all(code == m.code for code, m in catalog.items())


def test_the_county_has_room_for_excellent_until_its_cap_is_granted(uow, demo):
    policy = Policy.model_validate(demo_service.school_standing(uow, "fast", SCHOOL).policy)
    many = policy.model_copy(update={"school_excellent_cap": 0.5})  # 2 schools → 1 excellent
    assert not demo_service.excellent_room(uow, "fast", SCHOOL, policy)      # 30 % of 2 schools is none
    assert demo_service.excellent_room(uow, "fast", SCHOOL, many)
    county = uow.session.scalar(select(Unit.id).where(Unit.code == "DEMO-C1-X1"))
    uow.session.add(CountyQuota(campaign_id=repo.campaign_by_code(uow.session, "fast").id, county_id=county,
                                excellent_granted=1))
    uow.session.flush()
    assert not demo_service.excellent_room(uow, "fast", SCHOOL, many)
    assert demo_service.excellent_room(uow, "fast", SCHOOL, many.model_copy(update={"school_excellent_cap": None}))


def _work(uow, seed=5):
    roster = load_school_roster(uow, "fast", SCHOOL)
    return roster, DemoScript(seed, [SCHOOL]).school_work(SCHOOL, roster.teachers, roster.school_set, roster.catalog,
                                                          roster.policy)


def test_simulated_teachers_log_hours_review_a_colleague_and_submit_once(uow, demo):
    roster, work = _work(uow)
    made = teacher_work.record_teacher_work(uow, "demo-teachers", roster.enrolment_id, work)
    per_teacher = roster.policy.choices.per_teacher_min
    assert made == 2 * per_teacher
    assert uow.session.scalar(select(func.count()).select_from(PeerReview)) == 2  # each reviewed the other
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    teachers = teacher_queries.school_teachers(uow.session, enrolment.id).values()
    assert all(t.online_hours >= roster.policy.hours.online_min and len(t.choices) == per_teacher for t in teachers)
    assert teacher_work.record_teacher_work(uow, "demo-teachers", roster.enrolment_id, work) == 0  # a retry
    assert uow.session.scalar(select(func.count()).select_from(Submission)) == made


def test_a_teacher_submits_only_after_reviewing_a_colleague_who_has_submitted(uow, demo):
    roster, work = _work(uow)
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    a, b = teacher_queries.school_teachers(uow.session, enrolment.id).values()
    a.choices, b.choices = list(work[0].micro_abilities), list(work[1].micro_abilities)
    own = teacher_work.submit_evidence(uow.session, a, a.choices[0], roster.policy, roster.catalog)
    with pytest.raises(RuleViolated, match="peer_review_first"):
        teacher_work.submit_evidence(uow.session, b, b.choices[0], roster.policy, roster.catalog)
    with pytest.raises(RuleViolated, match="no_self_review"):
        teacher_work.review_peer(uow.session, a, own, "自评")
    teacher_work.review_peer(uow.session, b, own, "互评")
    assert teacher_work.submit_evidence(uow.session, b, b.choices[0], roster.policy, roster.catalog).attempt == 1


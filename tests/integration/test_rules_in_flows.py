"""The programme rules inside the running system: presets, the excellent cap under concurrency, 互学互评."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from application.teacher_work import review_peer, submit_evidence
from flows.demo import DemoDriver, run_demo, set_up_demo_campaign, simulate_teacher_work
from flows.transition import run_transition
from infra import repository as repo
from infra.db import session_scope
from models.campaign import MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.enums import Grade, SchoolEvent as E, SchoolState as S
from models.errors import RuleViolated
from models.policy import load_preset
from models.simulation import DemoScript
from models.transition import TransitionRequest
from tests.support.presenters import verify_presenters


def teachers_of(campaign):
    with session_scope() as session:
        cid = repo.campaign_by_code(session, campaign).id
        return session.scalars(select(TeacherEnrolment).where(TeacherEnrolment.campaign_id == cid)).all()


@pytest.mark.parametrize("preset", ["zhuzhou-2021", "beijing-2021"])
def test_demo_runs_under_every_preset(database, prefect_harness, campaign_code, preset):
    run_demo(preset, schools=2, teachers=3, seed=4, campaign=campaign_code)
    with session_scope() as session:
        assert [s for _, s, _ in repo.school_histories(session, campaign_code)] == ["certified"] * 2
    teachers = teachers_of(campaign_code)
    if preset == "beijing-2021":  # 20 (topic + quizzes) + 5 (cases) online, 20 (研修) + 5 (考核) practice
        assert {(t.online_hours, t.practice_hours) for t in teachers} == {(25.0, 25.0)}
    assert all(t.online_hours >= 25 and t.practice_hours >= 25 and t.credited_hours == 50 for t in teachers)
    assert all(len(t.choices) == load_preset(preset).choices.per_teacher_min for t in teachers)


def test_yanzhou_demo_grades_at_most_30_percent_excellent(database, prefect_harness, campaign_code):
    run_demo("yanzhou-2022", schools=5, teachers=4, seed=8, campaign=campaign_code)
    with session_scope() as session:
        cid = repo.campaign_by_code(session, campaign_code).id
        grades = session.scalars(select(SchoolEnrolment.county_grade).where(SchoolEnrolment.campaign_id == cid)).all()
        scores = session.scalars(select(SchoolEnrolment.county_score).where(SchoolEnrolment.campaign_id == cid)).all()
    assert grades.count(Grade.EXCELLENT) <= 1 and set(grades) <= {Grade.EXCELLENT, Grade.PASS}
    assert all(score >= 80 for score in scores)


def _to_county_assessment(campaign, seed=3):
    with session_scope() as session:
        roster_schools = [code for code, _, _ in repo.school_histories(session, campaign)]
    from tasks.demo_setup import DemoRoster

    driver = DemoDriver(DemoRoster(campaign, "DEMO-C1-X1", tuple(roster_schools), 3), seed)
    driver.script.returned_plan_school = driver.script.failed_assessment_school = None
    for school in roster_schools:
        while driver._state(school)[0] is not S.COUNTY_ASSESSMENT:
            driver.step(school)
        verify_presenters(campaign, school)  # 003: the pass waits for them
    return driver, roster_schools


def test_two_concurrent_excellent_grants_cannot_exceed_the_cap(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=4, teachers=3)   # 30 % of 4 → 1 excellent
    driver, schools = _to_county_assessment(campaign_code)
    policy = load_preset("yanzhou-2022")

    def grant(school):
        _, payload = driver.script.county_decision(school, 2, policy, 3)
        request = TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school=school, actor="expert",
                                    event=E.PASS_COUNTY_ASSESSMENT, payload={**payload, "excellent": True})
        try:
            return run_transition(request).to_state
        except RuleViolated as exc:
            return exc.rule

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(grant, schools[:2]))
    assert sorted(results) == ["excellent_cap", S.LOCKED]
    assert grant(schools[2]) == "excellent_cap"


def test_submitting_before_reviewing_a_colleague_is_refused(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=3)
    script = DemoScript(1, ["DEMO-X1-S001"])
    with session_scope() as session:
        catalog = {m.code: m for m in session.scalars(select(MicroAbility).where(
            MicroAbility.campaign_id == repo.campaign_by_code(session, campaign_code).id)).all()}
    first, second, _ = teachers_of(campaign_code)
    policy = load_preset("yanzhou-2022")
    with session_scope() as session:
        a, b = session.get(TeacherEnrolment, first.id), session.get(TeacherEnrolment, second.id)
        a.choices = b.choices = list(script.choices("DEMO-X1-S001", 1, [], catalog, policy))
        own = submit_evidence(session, a, a.choices[0], policy, catalog)   # nobody to review yet: allowed
        with pytest.raises(RuleViolated, match="peer_review_first"):
            submit_evidence(session, b, b.choices[0], policy, catalog)
        with pytest.raises(RuleViolated, match="no_self_review"):
            review_peer(session, a, own, "自评")
        with pytest.raises(RuleViolated, match="submission_choice"):
            submit_evidence(session, a, "C7" if "C7" not in a.choices else "A2", policy, catalog)
        review_peer(session, b, own, "互评")
        submit_evidence(session, b, b.choices[0], policy, catalog)
        assert session.scalar(select(func.count()).select_from(Submission)) >= 2


def test_teacher_work_respects_the_school_set(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=2)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign_code, "DEMO-X1-S001")
        enrolment.plan = {"micro_abilities": ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"]}
    work = simulate_teacher_work(campaign_code, "DEMO-X1-S001", seed=2)
    assert work == 6
    assert all(set(t.choices) <= {"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"} for t in teachers_of(campaign_code))

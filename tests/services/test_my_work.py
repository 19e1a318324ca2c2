"""GET /me's service: a teacher's standing in each campaign, an office's open tasks."""
import pytest
from sqlalchemy import select

from application import my_work
from infra import repository as repo
from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.clock import utcnow
from models.enums import Grade, SchoolState, SubmissionStatus
from models.errors import NotFound, RuleViolated, RulesViolated
from models.org import Person, Principal

SCHOOL = "DEMO-X1-S001"


def _teacher(uow) -> tuple[TeacherEnrolment, Principal]:
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    teacher = uow.session.scalars(select(TeacherEnrolment).where(
        TeacherEnrolment.school_enrolment_id == enrolment.id).order_by(TeacherEnrolment.id)).first()
    return teacher, Principal.of(uow.session.get(Person, teacher.teacher_id))


def test_a_teacher_sees_choices_hours_with_the_shortfall_and_every_attempt(uow, demo):
    teacher, me = _teacher(uow)
    teacher.choices, teacher.online_hours, teacher.practice_hours = ["A1", "B2"], 30.0, 10.0
    ability = uow.session.scalars(select(MicroAbility).where(
        MicroAbility.campaign_id == teacher.campaign_id, MicroAbility.code == "A1")).one()
    uow.session.add_all([
        Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id, attempt=1,
                   status=SubmissionStatus.GRADED, grade=Grade.FAIL),
        Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id, attempt=2)])
    uow.session.flush()

    (standing,) = my_work.my_year(uow, me).enrolments
    assert (standing.campaign, standing.school[0], standing.withdrawn) == ("fast", SCHOOL, False)
    assert standing.choices == ["A1", "B2"]
    hours = standing.hours
    assert (hours.online, hours.practice, hours.online_min, hours.practice_min) == (30.0, 10.0, 25, 25)
    assert hours.shortfall == "practice 10 h < 25 h"
    assert [(s.micro_ability, s.attempt, s.status, s.grade) for s in standing.submissions] == [
        ("A1", 1, "graded", "fail"), ("A1", 2, "submitted", None)]


def test_hours_that_meet_the_policy_have_no_shortfall_and_a_withdrawal_shows(uow, demo):
    teacher, me = _teacher(uow)
    teacher.online_hours = teacher.practice_hours = 25.0
    teacher.withdrawn_at = utcnow()
    uow.session.flush()
    (standing,) = my_work.my_year(uow, me).enrolments
    assert standing.hours.shortfall is None and standing.withdrawn


def test_an_office_has_no_enrolments_and_sees_its_open_tasks(uow, demo):
    office = repo.active_principal(uow.session, "demo-county-office")
    year = my_work.my_year(uow, office)
    assert year.enrolments == [] and year.open_tasks == 2
    assert sorted((t.task.kind, t.school[0]) for t in year.tasks) == [
        ("plan_submission", "DEMO-X1-S001"), ("plan_submission", "DEMO-X1-S002")]  # the schools' filings, in its scope
    teacher_year = my_work.my_year(uow, _teacher(uow)[1])
    assert teacher_year.open_tasks == 0  # no task kind is a teacher's yet


def _in_training(uow, school_set: list[str]) -> None:
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    enrolment.state, enrolment.plan = SchoolState.TRAINING, {"micro_abilities": school_set}
    uow.session.flush()


SCHOOL_SET = ["A1", "A2", "A5", "B1", "B2", "B4", "C1", "C4"]


def test_a_teacher_chooses_from_the_schools_set_while_it_trains(uow, demo):
    teacher, me = _teacher(uow)
    _in_training(uow, SCHOOL_SET)
    chosen = my_work.choose_micro_abilities(uow, me, "fast", ["A1", "B2", "C4"])
    assert chosen.choices == ["A1", "B2", "C4"] and teacher.choices == ["A1", "B2", "C4"]
    assert my_work.my_year(uow, me).enrolments[0].choices == ["A1", "B2", "C4"]


def test_a_refused_choice_names_every_rule_it_breaks_and_changes_nothing(uow, demo):
    teacher, me = _teacher(uow)
    _in_training(uow, SCHOOL_SET)
    before = list(teacher.choices)
    with pytest.raises(RulesViolated) as refused:
        my_work.choose_micro_abilities(uow, me, "fast", ["A1", "A1", "C7", "Z9", "B2"])
    assert {e["field"] for e in refused.value.errors} == {
        "catalog_membership", "teacher_choice_duplicates", "teacher_choice_count", "school_set_membership"}
    assert teacher.choices == before


def test_choices_wait_for_training_and_are_for_enrolled_teachers_only(uow, demo):
    _, me = _teacher(uow)
    with pytest.raises(RuleViolated, match="choices_during_training"):
        my_work.choose_micro_abilities(uow, me, "fast", ["A1", "B2", "C4"])  # the school is still drafting its plan
    office = repo.active_principal(uow.session, "demo-county-office")
    with pytest.raises(NotFound):
        my_work.choose_micro_abilities(uow, office, "fast", ["A1", "B2", "C4"])

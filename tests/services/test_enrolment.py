"""Enrolment on the fast tier: schools of the region enrolled once with their plan_submission tasks, every bad code
named, and teachers kept in step with the roster (join, 调动, withdraw, return), each change audited."""
import pytest
from sqlalchemy import select

from application import campaigns, enrolment, people
from infra import repository as repo
from models.audit import AuditEntry
from models.campaign import SchoolEnrolment, TeacherEnrolment
from models.enums import Role, TaskKind, TaskStatus, UnitLevel
from models.errors import OutOfScope, RuleViolated
from models.human_task import HumanTask
from models.org import Person, Unit

CITY_OFFICE = "demo-city-office"


def principal(uow, username):
    return repo.principal_of(uow.session, username)[0]


def unit(uow, code):
    return uow.session.scalars(select(Unit).where(Unit.code == code)).one()


def new_school(uow, code, parent="DEMO-C1-X1", teachers=1) -> Unit:
    school = Unit(code=code, name=code, level=UnitLevel.SCHOOL, parent_id=unit(uow, parent).id)
    uow.session.add(school)
    uow.session.flush()
    uow.session.add_all(Person(username=f"{code}-t{n}", name="教师", role=Role.TEACHER, unit_id=school.id)
                        for n in range(1, teachers + 1))
    uow.session.flush()
    return school


def teacher(uow, username) -> TeacherEnrolment:
    person = uow.session.scalars(select(Person).where(Person.username == username)).one()
    return uow.session.scalars(select(TeacherEnrolment).where(TeacherEnrolment.teacher_id == person.id)).one()


def events(uow, *names) -> list[tuple[str, dict]]:
    return [(e.event, e.payload) for e in uow.session.scalars(
        select(AuditEntry).where(AuditEntry.event.in_(names)).order_by(AuditEntry.id))]


def test_each_enrolled_school_gets_a_plan_submission_task_for_its_admin(uow, demo):
    tasks = uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.PLAN_SUBMISSION)
                                .order_by(HumanTask.id)).all()
    assert [(t.candidate_role, t.status) for t in tasks] == [(Role.SCHOOL_ADMIN, TaskStatus.OPEN)] * 2
    assert {t.unit_id for t in tasks} == {unit(uow, s).id for s in demo.schools}
    assert events(uow, "enrol_school") == [("enrol_school", {"school": s, "teachers": 2}) for s in demo.schools]


def test_enrolling_a_school_enrols_its_teachers_once(uow, demo):
    new_school(uow, "DEMO-X1-S101", teachers=3)
    done = enrolment.enrol_schools(uow, principal(uow, CITY_OFFICE), "fast", ["DEMO-X1-S101", demo.schools[0]])
    assert (done.enrolled, done.already, done.teachers_enrolled, done.plan_tasks_opened) == (
        ["DEMO-X1-S101"], [demo.schools[0]], 3, 1)
    again = enrolment.enrol_schools(uow, principal(uow, CITY_OFFICE), "fast", ["DEMO-X1-S101"])
    assert (again.enrolled, again.already, again.teachers_enrolled, again.plan_tasks_opened) == (
        [], ["DEMO-X1-S101"], 0, 0)
    assert uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.PLAN_SUBMISSION)).all().__len__() == 3


def test_every_bad_code_is_named_and_nothing_is_enrolled(uow, demo):
    outside = Unit(code="OUT-P", name="外省", level=UnitLevel.PROVINCE)
    uow.session.add(outside)
    uow.session.flush()
    uow.session.add(Unit(code="OUT-S", name="外校", level=UnitLevel.SCHOOL, parent_id=outside.id))
    new_school(uow, "DEMO-X1-S102")
    with pytest.raises(RuleViolated) as refused:
        enrolment.enrol_schools(uow, principal(uow, CITY_OFFICE), "fast",
                                ["DEMO-X1-S102", "NOPE", "DEMO-C1-X1", "OUT-S"])
    assert all(part in refused.value.detail for part in (
        "'NOPE' is not a known unit", "'DEMO-C1-X1' is a county, not a school", "'OUT-S' lies outside"))
    assert uow.session.scalars(select(SchoolEnrolment).where(
        SchoolEnrolment.school_id == unit(uow, "DEMO-X1-S102").id)).first() is None


@pytest.mark.parametrize("username", ["DEMO-X1-S001-admin", "demo-county-expert", "demo-county-office"])
def test_only_an_office_at_or_above_the_region_enrols(uow, demo, username):
    # The demo's region is its city: the county office below it neither enrols nor syncs.
    with pytest.raises(OutOfScope):
        enrolment.enrol_schools(uow, principal(uow, username), "fast", [demo.schools[0]])
    with pytest.raises(OutOfScope):
        enrolment.sync_roster(uow, principal(uow, username), "fast")


def test_a_teacher_who_joins_mid_year_is_enrolled_and_audited(uow, demo):
    school = unit(uow, demo.schools[0])
    uow.session.add(Person(username="late-joiner", name="新教师", role=Role.TEACHER, unit_id=school.id))
    uow.session.flush()
    assert enrolment.sync_roster(uow, principal(uow, CITY_OFFICE), "fast") == {
        "joined": 1, "transferred": 0, "withdrawn": 0, "returned": 0}
    assert teacher(uow, "late-joiner").withdrawn_at is None
    assert events(uow, "teacher_joined") == [("teacher_joined", {"teacher": "late-joiner", "school": school.code})]
    assert enrolment.sync_roster(uow, None, "fast", actor="ops")["joined"] == 0


def test_a_teacher_who_moves_school_keeps_hours_and_changes_school(uow, demo):
    moving = teacher(uow, f"{demo.schools[0]}-t001")
    moving.online_hours, moving.choices = 12.5, ["A1"]
    person = uow.session.get(Person, moving.teacher_id)
    person.unit_id = unit(uow, demo.schools[1]).id
    uow.session.flush()
    counts = enrolment.sync_rosters(uow, "ops", {unit(uow, demo.schools[1]).id})
    assert counts["transferred"] == 1
    uow.session.refresh(moving)
    target = repo.school_enrolment(uow.session, "fast", demo.schools[1])
    assert (moving.school_enrolment_id, moving.online_hours, moving.choices) == (target.id, 12.5, ["A1"])
    assert events(uow, "teacher_transferred")[0][1] == {
        "teacher": person.username, "school": demo.schools[1], "from_school": demo.schools[0]}


def test_a_teacher_who_leaves_is_withdrawn_out_of_the_rates_and_returns(uow, demo):
    office = principal(uow, CITY_OFFICE)
    before = campaigns.campaign_progress(uow, office, "fast").teachers
    leaving = f"{demo.schools[0]}-t002"
    people.set_person_active(uow, "ops", leaving, False)
    withdrawn = teacher(uow, leaving)
    assert withdrawn.withdrawn_at is not None  # kept, not deleted
    assert campaigns.campaign_progress(uow, office, "fast").teachers == before - 1
    summary = {r.code: r.figures.teachers for r in campaigns.annex_summary(uow, office, "fast").rows}
    assert summary[demo.schools[0]] == 1
    people.set_person_active(uow, "ops", leaving, True)
    uow.session.refresh(withdrawn)
    assert withdrawn.withdrawn_at is None
    assert [e for e, _ in events(uow, "teacher_withdrawn", "teacher_returned")] == [
        "teacher_withdrawn", "teacher_returned"]

"""The inbox services on the fast tier: claims and releases, reassignment, independence, completion into the outbox,
and who sees what."""
from datetime import timedelta

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from application import inbox
from infra import repository as repo
from models.access import OWN_SCHOOL, OWN_SUBMISSION
from models.campaign import MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.clock import utcnow
from models.decisions import Decision
from models.enums import Role, TaskKind, TaskStatus
from models.errors import NotFound, OutOfScope, PreconditionFailed, TaskConflict
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.org import Person, Principal, Unit
from models.outbox import OutboxEntry, OutboxStatus

SCHOOL = "DEMO-X1-S001"
FILE = TypeAdapter(Decision).validate_python({"kind": "plan_review", "outcome": "file"})
GRADES = {"kind": "submission_grading", "items": {"学情分析方案": "pass"}}


def who(uow, username: str) -> Principal:
    return repo.active_principal(uow.session, username)


def person(uow, username: str, role: Role, unit_code: str) -> Principal:
    unit = uow.session.scalars(select(Unit).where(Unit.code == unit_code)).one()
    uow.session.add(row := Person(username=username, name=username, role=role, unit_id=unit.id))
    uow.session.flush()
    return Principal.of(row)


def enrolment(uow, school: str = SCHOOL) -> SchoolEnrolment:
    return repo.school_enrolment(uow.session, "fast", school)


def task(uow, kind: TaskKind, school: str = SCHOOL, submission_id: int | None = None) -> HumanTask:
    """An open task of this kind on the school, scoped and assigned as TASK_ASSIGNMENT says."""
    level, role = TASK_ASSIGNMENT[kind]
    school_enrolment = enrolment(uow, school)
    unit = uow.session.get(Unit, school_enrolment.school_id)
    while unit.level != level:
        unit = uow.session.get(Unit, unit.parent_id)
    row = HumanTask(campaign_id=school_enrolment.campaign_id, kind=kind, school_enrolment_id=school_enrolment.id,
                    submission_id=submission_id, unit_id=unit.id, candidate_role=role,
                    due_at=utcnow() + timedelta(days=7), origin_key=f"test:{school}:{kind}:{submission_id}")
    uow.session.add(row)
    uow.session.flush()
    return row


def teaches_at(uow, someone: Principal, school: str = SCHOOL) -> Submission:
    """The person as a teacher of the school (enrolled unless they are), with one submission of theirs."""
    school_enrolment = enrolment(uow, school)
    teacher = uow.session.scalars(select(TeacherEnrolment).where(
        TeacherEnrolment.campaign_id == school_enrolment.campaign_id, TeacherEnrolment.teacher_id == someone.id)).first()
    if teacher is None:
        uow.session.add(teacher := TeacherEnrolment(campaign_id=school_enrolment.campaign_id, teacher_id=someone.id,
                                                    school_enrolment_id=school_enrolment.id))
        uow.session.flush()
    ability = uow.session.scalars(select(MicroAbility).where(
        MicroAbility.campaign_id == school_enrolment.campaign_id)).first()
    uow.session.add(submission := Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id))
    uow.session.flush()
    return submission


def test_of_two_claims_one_wins_and_a_stale_version_is_refused(uow, demo):
    review = task(uow, TaskKind.PLAN_REVIEW)
    office, other = who(uow, "demo-county-office"), person(uow, "second-office", Role.COUNTY_OFFICE, "DEMO-C1-X1")
    with pytest.raises(PreconditionFailed, match="version 1, not 7"):
        inbox.claim_task(uow, office, review.id, 7)
    claimed = inbox.claim_task(uow, office, review.id, 1)
    assert (claimed.task.claimed_by, claimed.task.version) == ("demo-county-office", 2)
    with pytest.raises(TaskConflict, match="held by someone else"):
        inbox.claim_task(uow, other, review.id, None)
    assert inbox.claim_task(uow, office, review.id, None).task.claimed_by == "demo-county-office"  # their own again
    released = inbox.release_task(uow, other, review.id, None)            # an office may release anyone's claim
    assert (released.task.claimed_by, released.task.version) == (None, 4)


def test_only_the_tasks_role_takes_it_and_only_its_holder_or_an_office_releases_it(uow, demo):
    review, revision = task(uow, TaskKind.PLAN_REVIEW), task(uow, TaskKind.PLAN_REVISION)
    with pytest.raises(OutOfScope, match="is for a county_office, not a city_office"):
        inbox.claim_task(uow, who(uow, "demo-city-office"), review.id, None)
    inbox.claim_task(uow, who(uow, f"{SCHOOL}-admin"), revision.id, None)
    deputy = person(uow, "deputy-admin", Role.SCHOOL_ADMIN, SCHOOL)
    with pytest.raises(OutOfScope, match=f"held by {SCHOOL}-admin"):
        inbox.release_task(uow, deputy, revision.id, None)
    assert inbox.release_task(uow, who(uow, "demo-county-office"), revision.id, None).task.claimed_by is None


def test_a_task_outside_the_callers_listing_is_not_found(uow, demo):
    revision = task(uow, TaskKind.PLAN_REVISION)
    teacher, other_admin = who(uow, f"{SCHOOL}-t001"), who(uow, "DEMO-X1-S002-admin")
    for outsider in (teacher, other_admin):             # the wrong role; the right role of another school
        for service in (inbox.read_task, inbox.claim_task, inbox.release_task):
            with pytest.raises(NotFound, match="not yours to see"):
                service(uow, outsider, revision.id, *([None] if service is not inbox.read_task else []))
        with pytest.raises(NotFound, match="not yours to see"):
            inbox.complete_task(uow, outsider, revision.id, FILE, None)
    assert inbox.read_task(uow, who(uow, "demo-city-office"), revision.id).school == (SCHOOL, "演示县第1学校")
    total, rows = inbox.list_tasks(uow, who(uow, "DEMO-X1-S002-admin"), inbox.TaskFilter(campaign="fast"))
    assert total == 1 and [(r.task.kind, r.school) for r in rows] == [(TaskKind.PLAN_SUBMISSION, ("DEMO-X1-S002", "演示县第2学校"))]


def test_nobody_grades_their_own_submission_nor_is_handed_it(uow, demo):
    leader = who(uow, f"{SCHOOL}-leader")
    grading = task(uow, TaskKind.SUBMISSION_GRADING, submission_id=teaches_at(uow, leader).id)
    decision = TypeAdapter(Decision).validate_python(GRADES)
    with pytest.raises(OutOfScope, match=OWN_SUBMISSION):
        inbox.complete_task(uow, leader, grading.id, decision, None)
    with pytest.raises(OutOfScope, match=OWN_SUBMISSION):
        inbox.reassign_task(uow, who(uow, "demo-county-office"), grading.id, leader.username, None)
    assert uow.session.get(HumanTask, grading.id).claimed_by is None


def test_a_reviewer_above_the_school_never_decides_for_a_school_they_teach_at(uow, demo):
    expert = who(uow, "demo-county-expert")
    teaches_at(uow, expert)
    scoring = task(uow, TaskKind.COUNTY_ASSESSMENT_SCORING)
    decision = TypeAdapter(Decision).validate_python(
        {"kind": "county_assessment_scoring", "outcome": "fail", "reason": "记录不完整，需要整改"})
    with pytest.raises(OutOfScope, match=OWN_SCHOOL):
        inbox.complete_task(uow, expert, scoring.id, decision, None)
    with pytest.raises(OutOfScope, match=OWN_SCHOOL):
        inbox.reassign_task(uow, who(uow, "demo-county-office"), scoring.id, expert.username, None)
    other = task(uow, TaskKind.COUNTY_ASSESSMENT_SCORING, school="DEMO-X1-S002")   # a school they do not teach at
    handed = inbox.reassign_task(uow, who(uow, "demo-county-office"), other.id, expert.username, None)
    assert handed.task.claimed_by == expert.username


def test_only_an_office_reassigns_and_only_to_the_tasks_role_inside_its_unit(uow, demo):
    review, scoring = task(uow, TaskKind.PLAN_REVIEW), task(uow, TaskKind.COUNTY_ASSESSMENT_SCORING)
    office = who(uow, "demo-county-office")
    with pytest.raises(OutOfScope, match="only a county or city office"):
        inbox.reassign_task(uow, who(uow, "demo-county-expert"), scoring.id, "demo-county-expert", None)
    with pytest.raises(NotFound, match="'nobody' does not exist"):
        inbox.reassign_task(uow, office, review.id, "nobody", None)
    with pytest.raises(OutOfScope, match="not a county_office inside your unit"):
        inbox.reassign_task(uow, office, review.id, "demo-county-expert", None)
    person(uow, "other-county", Role.COUNTY_OFFICE, "DEMO-C1")                 # the right role, outside the county
    with pytest.raises(OutOfScope, match="not a county_office inside your unit"):
        inbox.reassign_task(uow, office, review.id, "other-county", None)
    handed = inbox.reassign_task(uow, who(uow, "demo-city-office"), review.id, "demo-county-office", 1)
    assert (handed.task.claimed_by, handed.task.version) == ("demo-county-office", 2)


def test_completion_records_the_decision_and_queues_it_once(uow, demo, monkeypatch):
    crashed = []
    monkeypatch.setattr(inbox, "crash_point", crashed.append)
    review = task(uow, TaskKind.PLAN_REVIEW)
    office = who(uow, "demo-county-office")
    with pytest.raises(PreconditionFailed):
        inbox.complete_task(uow, office, review.id, FILE, 5)
    entry = inbox.complete_task(uow, office, review.id, FILE, 1)
    queued = uow.session.get(OutboxEntry, entry.id)
    assert (queued.status, queued.task_attempt, queued.event, queued.actor) == (
        OutboxStatus.PENDING, 1, "file_plan", "demo-county-office")
    assert (queued.campaign, queued.county, queued.school) == ("fast", "DEMO-C1-X1", SCHOOL)
    done = uow.session.get(HumanTask, review.id)
    uow.session.refresh(done)
    assert (done.status, done.decided_by, done.decision, done.version) == (
        TaskStatus.COMPLETED, "demo-county-office", {"kind": "plan_review", "outcome": "file", "comment": ""}, 2)
    with pytest.raises(TaskConflict):
        inbox.complete_task(uow, office, review.id, FILE, None)
    assert crashed == []                                  # the fault point waits for the commit
    monkeypatch.setattr(uow.session, "commit", lambda: None)  # keep the test's data to roll back
    uow.commit()
    assert crashed == ["decision-accepted"]
    assert inbox.decision_status(uow, office, entry.id).id == entry.id
    with pytest.raises(NotFound, match=f"decision {entry.id} does not exist or is not yours"):
        inbox.decision_status(uow, who(uow, f"{SCHOOL}-admin"), entry.id)
    with pytest.raises(NotFound, match="decision 999999 does not exist"):
        inbox.decision_status(uow, office, 999999)


def test_a_task_with_a_submission_is_named_by_it(uow, demo):
    submission = teaches_at(uow, who(uow, f"{SCHOOL}-t001"))
    grading = task(uow, TaskKind.SUBMISSION_GRADING, submission_id=submission.id)
    row = inbox.read_task(uow, who(uow, f"{SCHOOL}-leader"), grading.id)
    assert row.task.subject == f"submission:{submission.id}" and row.teacher[0] == f"{SCHOOL}-t001"
    assert task(uow, TaskKind.PLAN_REVIEW).subject == f"school_enrolment:{enrolment(uow).id}"


def test_the_python_subtree_rule_is_within(uow, demo):
    units = dict(uow.session.execute(select(Unit.code, Unit.id)).all())
    assert repo.in_subtree(uow.session, units["DEMO-C1"], units[SCHOOL])
    assert repo.in_subtree(uow.session, units[SCHOOL], units[SCHOOL])
    assert not repo.in_subtree(uow.session, units[SCHOOL], units["DEMO-C1-X1"])
    assert not repo.in_subtree(uow.session, units["DEMO-X1-S002"], units[SCHOOL])

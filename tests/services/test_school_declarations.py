"""A school admin's declarations — training done, the county application — refused in the request naming every
blocking teacher, else queued like every decision."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from application import inbox
from infra import repository as repo
from models.campaign import TeacherEnrolment
from models.clock import utcnow
from models.decisions import CountyApplicationDecision, TrainingCompletionDecision
from models.enums import Role, SchoolEvent, SchoolState, TaskKind
from models.errors import GuardRejected
from models.human_task import HumanTask
from models.org import Person
from models.outbox import OutboxEntry

SCHOOL = "DEMO-X1-S001"


def _waiting(uow, state: SchoolState, kind: TaskKind) -> tuple[HumanTask, list[tuple[TeacherEnrolment, str]]]:
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    enrolment.state = state
    task = HumanTask(campaign_id=enrolment.campaign_id, kind=kind, school_enrolment_id=enrolment.id,
                     unit_id=enrolment.school_id, candidate_role=Role.SCHOOL_ADMIN,
                     due_at=utcnow() + timedelta(days=7), origin_key=f"test:{kind}")
    uow.session.add(task)
    uow.session.flush()
    teachers = uow.session.execute(select(TeacherEnrolment, Person.username)
                                   .join(Person, Person.id == TeacherEnrolment.teacher_id)
                                   .where(TeacherEnrolment.school_enrolment_id == enrolment.id)
                                   .order_by(TeacherEnrolment.id)).all()
    return task, [tuple(t) for t in teachers]


def _queued(uow) -> list[OutboxEntry]:
    return list(uow.session.scalars(select(OutboxEntry)))


def test_finishing_training_names_every_teacher_short_of_hours_or_choices_then_is_queued(uow, demo):
    task, teachers = _waiting(uow, SchoolState.TRAINING, TaskKind.TRAINING_COMPLETION)
    admin = repo.active_principal(uow.session, f"{SCHOOL}-admin")
    (first, first_name), (second, second_name) = teachers
    first.online_hours, first.practice_hours, first.choices = 25, 25, ["A1", "B2", "C4"]
    second.online_hours, second.practice_hours = 25, 10
    uow.session.flush()
    done = TrainingCompletionDecision(kind="training_completion")
    with pytest.raises(GuardRejected) as refused:
        inbox.complete_task(uow, admin, task.id, done, None)
    errors = {e["field"]: e["message"] for e in refused.value.errors}
    assert errors["every_teacher_meets_hours"] == f"1 of 2 teacher(s) short of hours: {second_name}: practice 10 h < 25 h"
    assert errors["every_teacher_chose_validly"].startswith(f"1 of 2 teacher(s) chose invalidly: {second_name}: ")
    assert _queued(uow) == []

    second.practice_hours, second.choices = 25, ["A1", "B2", "C4"]
    uow.session.flush()
    entry = inbox.complete_task(uow, admin, task.id, done, None)
    assert entry.event == SchoolEvent.FINISH_TRAINING and [e.id for e in _queued(uow)] == [entry.id]


def test_the_county_application_names_every_teacher_without_a_result(uow, demo):
    task, teachers = _waiting(uow, SchoolState.SCHOOL_REVIEW, TaskKind.COUNTY_APPLICATION)
    admin = repo.active_principal(uow.session, f"{SCHOOL}-admin")
    with pytest.raises(GuardRejected) as refused:
        inbox.complete_task(uow, admin, task.id, CountyApplicationDecision(kind="county_application"), None)
    names = ", ".join(name for _, name in teachers)
    assert refused.value.errors[0] == {"field": "every_teacher_has_result",
                                       "message": f"2 of 2 teacher(s) have no result yet: {names}"}

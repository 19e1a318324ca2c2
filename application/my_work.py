"""A person's own year at a glance (GET /me): who they are, their open tasks and, as a teacher, their standing."""
from dataclasses import dataclass
from datetime import datetime

from application.inbox import list_tasks
from infra import my_work as store
from infra.task_views import TaskFilter, TaskRow
from infra.unit_of_work import UnitOfWork
from models.org import Principal
from models.policy import Policy
from models.rules import TeacherStanding, hours_shortfall


@dataclass(frozen=True)
class SubmissionStanding:
    """One submission of the teacher's: its micro-ability, attempt, status and grade."""

    id: int
    micro_ability: str
    attempt: int
    status: str
    grade: str | None
    submitted_at: datetime


@dataclass(frozen=True)
class HoursStanding:
    """A teacher's credited hours against the policy's minimums, and what they still lack (None: nothing)."""

    online: float
    practice: float
    online_min: float
    practice_min: float
    total_min: float
    shortfall: str | None


@dataclass(frozen=True)
class Enrolment:
    """One campaign the person takes part in as a teacher, with their standing in it."""

    campaign: str
    campaign_status: str
    school: tuple[str, str]
    school_state: str
    withdrawn: bool
    choices: list[str]
    hours: HoursStanding
    submissions: list[SubmissionStanding]
    result: str | None


@dataclass(frozen=True)
class MyYear:
    """What GET /me answers."""

    person: Principal
    open_tasks: int
    tasks: list[TaskRow]
    enrolments: list[Enrolment]


def my_year(uow: UnitOfWork, user: Principal, task_page_size: int = 20) -> MyYear:
    """The caller's open tasks (the first page of their inbox) and every teacher enrolment with its standing."""
    total, tasks = list_tasks(uow, user, TaskFilter(page_size=task_page_size))
    enrolled = store.teacher_enrolments(uow.session, user.id)
    by_teacher: dict[int, list[SubmissionStanding]] = {}
    for teacher_id, code, s in store.submissions(uow.session, [t.id for t, *_ in enrolled]):
        by_teacher.setdefault(teacher_id, []).append(SubmissionStanding(
            s.id, code, s.attempt, str(s.status), str(s.grade) if s.grade else None, s.submitted_at))
    enrolments = []
    for teacher, campaign, school_enrolment, school in enrolled:
        rules = Policy.model_validate(campaign.policy).hours
        standing = TeacherStanding(teacher.online_hours, teacher.practice_hours, teacher.result)
        hours = HoursStanding(teacher.online_hours, teacher.practice_hours, rules.online_min, rules.practice_min,
                              rules.total_min, hours_shortfall(standing, rules))
        enrolments.append(Enrolment(
            campaign.code, str(campaign.status), (school.code, school.name), str(school_enrolment.state),
            teacher.withdrawn_at is not None, list(teacher.choices), hours, by_teacher.get(teacher.id, []),
            str(teacher.result) if teacher.result else None))
    return MyYear(user, total, tasks, enrolments)

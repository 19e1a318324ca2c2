"""A person's own year (GET /me): their open tasks and, as a teacher, their standing; a teacher's own choices."""
from dataclasses import dataclass
from datetime import datetime

from application.inbox import list_tasks
from infra import my_work as store
from infra.task_views import TaskFilter, TaskRow
from infra.teacher_work import catalog as teacher_catalog
from infra.unit_of_work import UnitOfWork
from models.choices import teacher_choice_violations
from models.enums import CampaignStatus, SchoolState
from models.campaign import Submission, TeacherEnrolment
from models.errors import CampaignClosed, NotFound, RuleViolated, RulesViolated
from models.org import Principal
from models.policy import Policy
from models.rules import TeacherStanding, hours_shortfall


@dataclass(frozen=True)
class SubmissionStanding:
    """One submission of the teacher's: its micro-ability, attempt, status, grade and the evidence it sent."""

    id: int
    micro_ability: str
    attempt: int
    status: str
    grade: str | None
    submitted_at: datetime
    evidence: dict[str, int]
    withdrawn_at: datetime | None


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
    by_teacher = submissions_by_teacher(uow, [t.id for t, *_ in enrolled])
    enrolments = [_standing(row, by_teacher.get(row[0].id, [])) for row in enrolled]
    return MyYear(user, total, tasks, enrolments)


def choose_micro_abilities(uow: UnitOfWork, user: Principal, campaign: str, codes: list[str]) -> Enrolment:
    """The teacher's micro-abilities for a campaign, set while their school is in training; a refusal names every
    rule the choice breaks (count, duplicates, dimensions, the school's set, unknown codes)."""
    row = acting_teacher(uow, user, campaign)
    teacher, found, school_enrolment, _ = row
    if school_enrolment.state != SchoolState.TRAINING:
        raise RuleViolated("choices_during_training", f"your school is in {school_enrolment.state}; micro-abilities "
                                                      "are chosen while it is in training")
    policy = Policy.model_validate(found.policy)
    school_set = (school_enrolment.plan or {}).get("micro_abilities")
    problems = teacher_choice_violations(codes, teacher_catalog(uow.session, found.id), policy.choices, school_set)
    problems += [RuleViolated("choice_submitted", f"{code} has a submission and stays among your choices")
                 for code in store.submitted_codes(uow.session, teacher.id) if code not in codes]
    if problems:
        raise RulesViolated(problems)
    teacher.choices = list(codes)
    uow.session.flush()
    return _standing(row, submissions_by_teacher(uow, [teacher.id]).get(teacher.id, []))


def acting_teacher(uow: UnitOfWork, user: Principal, campaign: str) -> store.EnrolledRow:
    """The caller's teacher enrolment in an open campaign, fit to act: NotFound if none, CampaignClosed, or
    teacher_withdrawn."""
    row = store.teacher_enrolment_in(uow.session, user.id, campaign)
    if row is None:
        raise NotFound(f"you are not enrolled as a teacher in campaign '{campaign}'")
    teacher, found, _, _ = row
    if found.status == CampaignStatus.CLOSED:
        raise CampaignClosed(found.code, found.closed_at)
    if teacher.withdrawn_at is not None:
        raise RuleViolated("teacher_withdrawn", "you are withdrawn from this campaign")
    return row


def submission_standing(code: str, s: Submission) -> SubmissionStanding:
    """A submission as the teacher sees it."""
    return SubmissionStanding(s.id, code, s.attempt, str(s.status), str(s.grade) if s.grade else None,
                              s.submitted_at, dict(s.evidence or {}), s.withdrawn_at)


def hours_standing(teacher: TeacherEnrolment, policy: Policy) -> HoursStanding:
    """A teacher's credited hours against the policy's minimums, with what they still lack."""
    rules = policy.hours
    standing = TeacherStanding(teacher.online_hours, teacher.practice_hours, teacher.result)
    return HoursStanding(teacher.online_hours, teacher.practice_hours, rules.online_min, rules.practice_min,
                         rules.total_min, hours_shortfall(standing, rules))


def submissions_by_teacher(uow: UnitOfWork, teacher_ids: list[int]) -> dict[int, list[SubmissionStanding]]:
    """Every submission of these teacher enrolments, by enrolment id, by code and attempt."""
    by_teacher: dict[int, list[SubmissionStanding]] = {}
    for teacher_id, code, s in store.submissions(uow.session, teacher_ids):
        by_teacher.setdefault(teacher_id, []).append(submission_standing(code, s))
    return by_teacher


def _standing(row: store.EnrolledRow, submissions: list[SubmissionStanding]) -> Enrolment:
    teacher, campaign, school_enrolment, school = row
    hours = hours_standing(teacher, Policy.model_validate(campaign.policy))
    return Enrolment(campaign.code, str(campaign.status), (school.code, school.name), str(school_enrolment.state),
                     teacher.withdrawn_at is not None, list(teacher.choices), hours, submissions,
                     str(teacher.result) if teacher.result else None)

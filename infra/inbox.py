"""The human-task inbox: scoped listing, claim and release, and completion into the outbox."""
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra import repository as repo
from models.campaign import Campaign, SchoolEnrolment, Submission, TeacherEnrolment
from models.clock import utcnow
from models.decisions import lifecycle_event
from models.enums import Role, TaskKind, TaskStatus
from models.errors import DomainError, NotFound, OutOfScope, PreconditionFailed, TaskConflict
from models.human_task import HumanTask
from models.org import Person, Unit
from models.outbox import OutboxEntry, OutboxStatus
from models.scope import within

OFFICE_ROLES = frozenset({Role.COUNTY_OFFICE, Role.CITY_OFFICE})
SCHOOL_ROLES = frozenset({Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN})


@dataclass(frozen=True)
class TaskFilter:
    """What an inbox listing asks for."""

    campaign: str | None = None
    kind: str | None = None
    status: str | None = TaskStatus.OPEN
    unit: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    descending: bool = False
    page: int = 1
    page_size: int = 50


def visible_tasks(session: Session, user: Person, wanted: TaskFilter) -> tuple[int, list[HumanTask]]:
    """Tasks inside the user's subtree (of the user's role, unless an office), filtered, by due date, paged."""
    parents = repo.unit_parents(session)
    units = [u for u in parents if within(user.unit_id, u, parents)]
    query = select(HumanTask).where(HumanTask.unit_id.in_(units))
    if user.role not in OFFICE_ROLES:
        query = query.where(HumanTask.candidate_role == user.role)
    if wanted.campaign:
        query = query.join(Campaign, Campaign.id == HumanTask.campaign_id).where(Campaign.code == wanted.campaign)
    if wanted.kind:
        query = query.where(HumanTask.kind == wanted.kind)
    if wanted.status:
        query = query.where(HumanTask.status == wanted.status)
    if wanted.unit:
        unit = session.scalars(select(Unit).where(Unit.code == wanted.unit)).first()
        if unit is None:
            raise NotFound(f"unit '{wanted.unit}' does not exist")
        query = query.where(HumanTask.unit_id.in_([u for u in units if within(unit.id, u, parents)]))
    if wanted.due_before:
        query = query.where(HumanTask.due_at < wanted.due_before)
    if wanted.due_after:
        query = query.where(HumanTask.due_at >= wanted.due_after)
    total = len(session.scalars(query.with_only_columns(HumanTask.id)).all())
    order = HumanTask.due_at.desc() if wanted.descending else HumanTask.due_at.asc()
    rows = session.scalars(query.order_by(order, HumanTask.id)
                           .offset((wanted.page - 1) * wanted.page_size).limit(wanted.page_size)).all()
    return total, list(rows)


def task_in_scope(session: Session, user: Person, task_id: int) -> HumanTask:
    """The task, if it lies inside the user's subtree; NotFound or OutOfScope otherwise."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    if not repo.in_subtree(session, user.unit_id, task.unit_id):
        raise OutOfScope(f"task {task_id} is outside your unit")
    return task


def _may_act(user: Person, task: HumanTask, session: Session | None = None) -> None:
    if user.role != task.candidate_role:
        raise OutOfScope(f"task {task.id} is for a {task.candidate_role}, not a {user.role}")
    if session is not None:
        _independent(session, user, task)


def _independent(session: Session, user: Person, task: HumanTask) -> None:
    """Nobody grades their own submission; nobody decides for a school they teach at (DOMAIN.md)."""
    if task.kind == TaskKind.SUBMISSION_GRADING:
        author = session.scalar(select(TeacherEnrolment.teacher_id).join(
            Submission, Submission.teacher_enrolment_id == TeacherEnrolment.id)
            .where(Submission.id == int(task.subject.split(":")[1])))
        if author == user.id:
            raise OutOfScope("nobody grades their own submission")
    elif task.school_enrolment_id is not None and user.role not in SCHOOL_ROLES:
        teaches_there = session.scalar(select(TeacherEnrolment.id).where(
            TeacherEnrolment.school_enrolment_id == task.school_enrolment_id, TeacherEnrolment.teacher_id == user.id))
        if teaches_there:
            raise OutOfScope("a county, city or province reviewer never reviews a school they belong to")


def _check_version(task: HumanTask, if_match: int | None) -> None:
    if if_match is not None and if_match != task.version:
        raise PreconditionFailed(f"task {task.id} is at version {task.version}, not {if_match}")


def claim(session: Session, user: Person, task: HumanTask, if_match: int | None) -> None:
    """Take an open task for oneself (conditional UPDATE: of two claims one wins)."""
    _may_act(user, task)
    _check_version(task, if_match)
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
        or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.username),
    ).values(claimed_by=user.username, claimed_at=utcnow(), version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")


def release(session: Session, user: Person, task: HumanTask, if_match: int | None) -> None:
    """Give a claimed task back (its holder, or an office of the unit)."""
    _check_version(task, if_match)
    if task.claimed_by != user.username and user.role not in OFFICE_ROLES:
        raise OutOfScope(f"task {task.id} is held by {task.claimed_by}")
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
    ).values(claimed_by=None, claimed_at=None, version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} changed while being released")


def complete(session: Session, user: Person, task: HumanTask, decision: BaseModel, if_match: int | None) -> OutboxEntry:
    """Record the decision and its outbox row in the caller's transaction; of two completions one wins."""
    _may_act(user, task, session)
    if decision.kind != task.kind:
        raise DomainError(f"task {task.id} is a {task.kind} task; the decision is for {decision.kind}")
    _check_version(task, if_match)
    body = decision.model_dump(mode="json", exclude_none=True)
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
        or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.username),
    ).values(status=TaskStatus.COMPLETED, decision=body, decided_by=user.username, completed_at=utcnow(),
             version=task.version + 1)).rowcount
    if not done:
        current = session.scalar(select(HumanTask.version).where(HumanTask.id == task.id))
        if if_match is not None and current != if_match:
            raise PreconditionFailed(f"task {task.id} changed while being completed")
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")
    school, county = aliased(Unit), aliased(Unit)
    campaign, school_code, county_code = session.execute(
        select(Campaign.code, school.code, county.code)
        .select_from(SchoolEnrolment)
        .join(Campaign, Campaign.id == SchoolEnrolment.campaign_id)
        .join(school, school.id == SchoolEnrolment.school_id)
        .join(county, county.id == school.parent_id)
        .where(SchoolEnrolment.id == task.school_enrolment_id)).one()
    fired = lifecycle_event(decision)
    entry = OutboxEntry(task_id=task.id, campaign=campaign, county=county_code, school=school_code,
                        event=fired[0] if fired else None, payload=fired[1] if fired else {}, actor=user.username)
    session.add(entry)
    session.flush()
    return entry


def reassign(session: Session, user: Person, task: HumanTask, to_username: str, if_match: int | None) -> None:
    """An office hands an open task to a named reviewer of the right role inside its own subtree."""
    if user.role not in OFFICE_ROLES:
        raise OutOfScope("only a county or city office reassigns tasks")
    _check_version(task, if_match)
    target = repo.person_by_username(session, to_username)
    if target is None:
        raise NotFound(f"user '{to_username}' does not exist")
    if target.role != task.candidate_role or not repo.in_subtree(session, user.unit_id, target.unit_id):
        raise OutOfScope(f"'{to_username}' is not a {task.candidate_role} inside your unit")
    _independent(session, target, task)
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
    ).values(claimed_by=target.username, claimed_at=utcnow(), version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} changed while being reassigned")


def reopen_refused(session: Session, entry: OutboxEntry, error: str) -> None:
    """A decision the lifecycle refused: record why, and give the task back to its reviewers."""
    entry.status, entry.last_error, entry.attempts = OutboxStatus.REFUSED, error[:2000], entry.attempts + 1
    session.execute(update(HumanTask).where(HumanTask.id == entry.task_id, HumanTask.status == TaskStatus.COMPLETED)
                    .values(status=TaskStatus.OPEN, completed_at=None, version=HumanTask.version + 1))

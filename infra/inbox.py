"""The human-task inbox: claim and release, reassignment, and completion into the outbox (reads: task_views)."""
from functools import cache

from pydantic import BaseModel
from sqlalchemy import (Connection, Integer, Row, Select, String, bindparam, cast, exists, func, insert, literal, or_,
                        select, update)
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra import human_tasks, repository as repo
from infra.decision_items import check_decision_items
from infra.task_views import task_visible
from models.campaign import Campaign, SchoolEnrolment, Submission, TeacherEnrolment
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.decisions import lifecycle_event
from models.enums import CampaignStatus, Role, TaskKind, TaskStatus
from models.evidence import LOCKED_STATES
from models.errors import DomainError, NotFound, OutOfScope, PreconditionFailed, SchoolLocked, TaskConflict
from models.human_task import HumanTask
from models.org import Principal, Unit
from models.outbox import OutboxEntry, OutboxStatus
from models.access import OFFICE_ROLES

SCHOOL_ROLES = frozenset({Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN})
CHANGES_SCHOOL_WORK = frozenset({TaskKind.PLAN_REVISION, TaskKind.SUBMISSION_GRADING})
"""Task kinds whose decision changes a school's plans, submissions or grades: refused while it is locked."""


def _may_act(user: Principal, task: HumanTask) -> None:
    if user.role != task.candidate_role:
        raise OutOfScope(f"task {task.id} is for a {task.candidate_role}, not a {user.role}")


def _independent(session: Session, user: Principal, task: HumanTask) -> None:
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


def claim(session: Session, user: Principal, task: HumanTask, if_match: int | None) -> None:
    """Take an open task for oneself (conditional UPDATE: of two claims one wins)."""
    _may_act(user, task)
    repo.writable_campaign(session, task.campaign_id)
    _check_version(task, if_match)
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
        or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.username),
    ).values(claimed_by=user.username, claimed_at=utcnow(), version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")


def release(session: Session, user: Principal, task: HumanTask, if_match: int | None) -> None:
    """Give a claimed task back (its holder, or an office of the unit)."""
    repo.writable_campaign(session, task.campaign_id)
    _check_version(task, if_match)
    if task.claimed_by != user.username and user.role not in OFFICE_ROLES:
        raise OutOfScope(f"task {task.id} is held by {task.claimed_by}")
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
    ).values(claimed_by=None, claimed_at=None, version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} changed while being released")


@cache
def _context_query() -> Select:
    """The completion-context SELECT (built on first use, once)."""
    task_id, uid = bindparam("task_id"), bindparam("uid")
    visible = task_visible(bindparam("unit_id", type_=Integer), bindparam("role", type_=String))
    own = (select(Submission.id).join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
           .where(TeacherEnrolment.campaign_id == HumanTask.campaign_id, TeacherEnrolment.teacher_id == uid,
                  HumanTask.subject == literal("submission:") + cast(Submission.id, String)))
    teaches = select(TeacherEnrolment.id).where(TeacherEnrolment.school_enrolment_id == HumanTask.school_enrolment_id,
                                                TeacherEnrolment.teacher_id == uid)
    decided = (select(func.coalesce(func.max(OutboxEntry.task_attempt), 0)).where(OutboxEntry.task_id == HumanTask.id)
               .scalar_subquery())
    school, county = aliased(Unit), aliased(Unit)
    return (select(HumanTask.id, HumanTask.kind, HumanTask.candidate_role, HumanTask.status, HumanTask.claimed_by,
                   HumanTask.version, HumanTask.subject, HumanTask.campaign_id, SchoolEnrolment.state.label("state"),
                   visible.label("visible"), exists(own).label("own_submission"), exists(teaches).label("teaches_there"),
                   decided.label("decided_attempts"),
                   Campaign.code.label("campaign"), Campaign.status.label("campaign_status"),
                   Campaign.closed_at.label("closed_at"), school.code.label("school"), county.code.label("county"))
            .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
            .join(Campaign, Campaign.id == SchoolEnrolment.campaign_id)
            .join(school, school.id == SchoolEnrolment.school_id)
            .join(county, county.id == school.parent_id)
            .where(HumanTask.id == task_id))


def _completion_context(session: Session, user: Principal, task_id: int) -> Row | None:
    """In one round trip: the task's state, whether the user may see it, its independence facts, whether its campaign
    is closed, how many times it was decided before, and the codes its outbox row carries."""
    return session.connection().execute(
        _context_query(), {"task_id": task_id, "uid": user.id, "unit_id": user.unit_id, "role": str(user.role)}).first()


def complete(session: Session, user: Principal, task_id: int, decision: BaseModel, if_match: int | None) -> OutboxEntry:
    """Record the decision and its outbox row in the caller's transaction; of two completions one wins."""
    task = context = _completion_context(session, user, task_id)
    if context is None or not context.visible:
        raise NotFound(f"task {task_id} does not exist or is not yours to see")
    refuse_if_closed(context.campaign, context.campaign_status, context.closed_at)
    _may_act(user, task)
    if context.own_submission:
        raise OutOfScope("nobody grades their own submission")
    if context.teaches_there and user.role not in SCHOOL_ROLES:
        raise OutOfScope("a county, city or province reviewer never reviews a school they belong to")
    if decision.kind != task.kind:
        raise DomainError(f"task {task.id} is a {task.kind} task; the decision is for {decision.kind}")
    if task.kind in CHANGES_SCHOOL_WORK and task.state in LOCKED_STATES:
        raise SchoolLocked(context.school, task.state)
    check_decision_items(session, task, decision)
    _check_version(task, if_match)
    if task.status != TaskStatus.OPEN or task.claimed_by not in (None, user.username):
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")
    fired = lifecycle_event(decision)
    # The attempt read here stays right: a reopening changes the task's version, so the conditional UPDATE then fails.
    entry = OutboxEntry(task_id=task.id, task_attempt=context.decided_attempts + 1, campaign=context.campaign,
                        county=context.county, school=context.school, event=fired[0] if fired else None, payload=fired[1] if fired else {}, actor=user.username)
    entry.id = human_tasks.complete_and_queue(session.connection(), entry, {
        "task_id": task.id, "expected": task.version, "next": task.version + 1, "actor": user.username,
        "decision": decision.model_dump(mode="json", exclude_none=True), "now": utcnow()})
    if entry.id is None:
        if if_match is not None:
            raise PreconditionFailed(f"task {task.id} changed while being completed")
        raise TaskConflict(f"task {task.id} was completed or claimed by someone else just now")
    return entry


def reassign(session: Session, user: Principal, task: HumanTask, to_username: str, if_match: int | None) -> None:
    """An office hands an open task to a named reviewer of the right role inside its own subtree."""
    if user.role not in OFFICE_ROLES:
        raise OutOfScope("only a county or city office reassigns tasks")
    repo.writable_campaign(session, task.campaign_id)
    _check_version(task, if_match)
    target = repo.person_by_username(session, to_username)
    if target is None:
        raise NotFound(f"user '{to_username}' does not exist")
    if target.role != task.candidate_role or not repo.in_subtree(session, user.unit_id, target.unit_id):
        raise OutOfScope(f"'{to_username}' is not a {task.candidate_role} inside your unit")
    _independent(session, Principal.of(target), task)
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version,
    ).values(claimed_by=target.username, claimed_at=utcnow(), version=task.version + 1)).rowcount
    if not done:
        raise TaskConflict(f"task {task.id} changed while being reassigned")


def reopen_refused(session: Session, entry: OutboxEntry, error: str) -> None:
    """A decision the lifecycle refused: record why, and give the task back to its reviewers; in a campaign closed
    meanwhile the task is cancelled instead (as the closeout cancels every open task), never reopened."""
    entry.status, entry.last_error, entry.attempts = OutboxStatus.REFUSED, error[:2000], entry.attempts + 1
    closed = session.scalar(select(Campaign.status).join(HumanTask, HumanTask.campaign_id == Campaign.id)
                            .where(HumanTask.id == entry.task_id)) == CampaignStatus.CLOSED
    back = {"status": TaskStatus.CANCELLED} if closed else {"status": TaskStatus.OPEN, "completed_at": None}
    session.execute(update(HumanTask).where(HumanTask.id == entry.task_id, HumanTask.status == TaskStatus.COMPLETED)
                    .values(**back, version=HumanTask.version + 1))

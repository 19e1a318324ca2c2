"""The human-task inbox's queries: the conditional UPDATEs of claim, release and reassignment, the facts a
completion is checked against (one round trip), and giving a refused decision's task back. The checks themselves
are application/inbox.py's; reads of tasks are task_views'."""
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Row, Select, String, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra.task_views import task_visible
from models.campaign import Campaign, SchoolEnrolment, Submission, TeacherEnrolment
from models.enums import CampaignStatus, TaskStatus
from models.human_task import HumanTask
from models.org import Principal, Unit
from models.outbox import OutboxEntry, OutboxStatus


def _change_open_task(session: Session, task: HumanTask, *conditions, **values) -> bool:
    """The conditional UPDATE of an open task at the version read (of two changes one wins); on success the task
    object is expired, so its next read loads the new row."""
    done = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == TaskStatus.OPEN, HumanTask.version == task.version, *conditions,
    ).values(**values, version=task.version + 1)).rowcount == 1
    if done:
        session.expire(task)
    return done


def claim_open(session: Session, task: HumanTask, username: str, now: datetime) -> bool:
    """Claim the task for `username` if it is open, at its version, and unclaimed or already theirs."""
    return _change_open_task(session, task, or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == username),
                             claimed_by=username, claimed_at=now)


def release_claim(session: Session, task: HumanTask) -> bool:
    """Drop the task's claim if it is open and at its version."""
    return _change_open_task(session, task, claimed_by=None, claimed_at=None)


def hand_to(session: Session, task: HumanTask, username: str, now: datetime) -> bool:
    """Claim the task for `username` on someone else's behalf, if it is open and at its version."""
    return _change_open_task(session, task, claimed_by=username, claimed_at=now)


def independence_facts(session: Session, task: HumanTask, person_id: int) -> tuple[bool, bool]:
    """Whether the person wrote the submission the task grades, and whether they teach at the task's school."""
    own = exists(select(Submission.id).join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
                 .where(Submission.id == task.submission_id, TeacherEnrolment.teacher_id == person_id))
    teaches = exists(select(TeacherEnrolment.id).where(
        TeacherEnrolment.school_enrolment_id == task.school_enrolment_id, TeacherEnrolment.teacher_id == person_id))
    grades_own, teaches_there = session.execute(select(own, teaches)).one()
    return bool(grades_own), bool(teaches_there)


@cache
def _context_query() -> Select:
    """The completion-context SELECT (built on first use, once)."""
    task_id, uid = bindparam("task_id"), bindparam("uid")
    visible = task_visible(bindparam("unit_id", type_=Integer), bindparam("role", type_=String),
                           bindparam("username", type_=String))
    own = (select(Submission.id).join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
           .where(TeacherEnrolment.campaign_id == HumanTask.campaign_id, TeacherEnrolment.teacher_id == uid,
                  Submission.id == HumanTask.submission_id))
    teaches = select(TeacherEnrolment.id).where(TeacherEnrolment.school_enrolment_id == HumanTask.school_enrolment_id,
                                                TeacherEnrolment.teacher_id == uid)
    decided = (select(func.coalesce(func.max(OutboxEntry.task_attempt), 0)).where(OutboxEntry.task_id == HumanTask.id)
               .scalar_subquery())
    school, county = aliased(Unit), aliased(Unit)
    return (select(HumanTask.id, HumanTask.kind, HumanTask.candidate_role, HumanTask.status, HumanTask.claimed_by,
                   HumanTask.version, HumanTask.submission_id, HumanTask.campaign_id,
                   SchoolEnrolment.state.label("state"), visible.label("visible"),
                   exists(own).label("own_submission"), exists(teaches).label("teaches_there"),
                   decided.label("decided_attempts"),
                   Campaign.code.label("campaign"), Campaign.status.label("campaign_status"),
                   Campaign.closed_at.label("closed_at"), school.code.label("school"), county.code.label("county"))
            .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
            .join(Campaign, Campaign.id == SchoolEnrolment.campaign_id)
            .join(school, school.id == SchoolEnrolment.school_id)
            .join(county, county.id == school.parent_id)
            .where(HumanTask.id == task_id))


def completion_facts(session: Session, user: Principal, task_id: int) -> Row | None:
    """In one round trip: the task's state, whether the user may see it, its independence facts, whether its campaign
    is closed, how many times it was decided before, and the codes its outbox row carries."""
    return session.connection().execute(
        _context_query(), {"task_id": task_id, "uid": user.id, "unit_id": user.unit_id, "role": str(user.role),
                          "username": user.username}).first()


def decision_entry(session: Session, decision_id: int) -> OutboxEntry | None:
    """The outbox row of a recorded decision."""
    return session.get(OutboxEntry, decision_id)


def reopen_refused(session: Session, entry: OutboxEntry, error: str) -> None:
    """A decision the lifecycle refused: record why, and give the task back to its reviewers; in a campaign closed
    meanwhile the task is cancelled instead (as the closeout cancels every open task), never reopened."""
    entry.status, entry.last_error, entry.attempts = OutboxStatus.REFUSED, error[:2000], entry.attempts + 1
    closed = session.scalar(select(Campaign.status).join(HumanTask, HumanTask.campaign_id == Campaign.id)
                            .where(HumanTask.id == entry.task_id)) == CampaignStatus.CLOSED
    back = {"status": TaskStatus.CANCELLED} if closed else {"status": TaskStatus.OPEN, "completed_at": None}
    session.execute(update(HumanTask).where(HumanTask.id == entry.task_id, HumanTask.status == TaskStatus.COMPLETED)
                    .values(**back, version=HumanTask.version + 1))

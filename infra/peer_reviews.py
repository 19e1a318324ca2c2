"""Queries of 互学互评: colleagues' review loads, reviews a teacher still owes, reviews done and to record, and the
reviews a grader reads (none of them commits)."""
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session

from models.campaign import PeerReview, TeacherEnrolment
from models.enums import TaskKind, TaskStatus
from models.human_task import HumanTask
from models.org import Person


def review_loads(session: Session, author: TeacherEnrolment) -> list[tuple[str, int]]:
    """(username, peer reviews assigned this campaign) of the author's active colleagues, in roster order."""
    assigned = and_(HumanTask.kind == TaskKind.PEER_REVIEW, HumanTask.campaign_id == author.campaign_id,
                    HumanTask.claimed_by == Person.username)
    rows = session.execute(
        select(Person.username, func.count(HumanTask.id))
        .join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
        .outerjoin(HumanTask, assigned)
        .where(TeacherEnrolment.school_enrolment_id == author.school_enrolment_id,
               TeacherEnrolment.id != author.id, TeacherEnrolment.withdrawn_at.is_(None),
               Person.active.is_(True))
        .group_by(TeacherEnrolment.id, Person.username).order_by(TeacherEnrolment.id))
    return [(username, load) for username, load in rows]


def reviews_owed(session: Session, campaign_id: int, username: str) -> int:
    """Peer reviews assigned to the teacher in the campaign and still open."""
    return session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.kind == TaskKind.PEER_REVIEW, HumanTask.campaign_id == campaign_id,
        HumanTask.claimed_by == username, HumanTask.status == TaskStatus.OPEN))


def unrecorded_reviews(session: Session, school_enrolment_id: int) -> list[tuple[int, int, dict, datetime]]:
    """(submission, reviewer's enrolment, decision, completed at) of the school's completed peer-review tasks not yet
    recorded as reviews (columns, not entities: a completion is a conditional UPDATE the session has not seen)."""
    recorded = select(PeerReview.id).where(PeerReview.submission_id == HumanTask.submission_id,
                                           PeerReview.reviewer_enrolment_id == TeacherEnrolment.id).exists()
    rows = session.execute(
        select(HumanTask.submission_id, TeacherEnrolment.id, HumanTask.decision, HumanTask.completed_at)
        .join(Person, Person.username == HumanTask.decided_by)
        .join(TeacherEnrolment, and_(TeacherEnrolment.teacher_id == Person.id,
                                     TeacherEnrolment.campaign_id == HumanTask.campaign_id))
        .where(HumanTask.school_enrolment_id == school_enrolment_id, HumanTask.kind == TaskKind.PEER_REVIEW,
               HumanTask.status == TaskStatus.COMPLETED, ~recorded)
        .order_by(HumanTask.id))
    return [tuple(row) for row in rows]


def reviews_of(session: Session, submission_id: int) -> list[tuple[str, str, str, object]]:
    """(username, name, comment, when) of every recorded review of a submission, oldest first."""
    rows = session.execute(
        select(Person.username, Person.name, PeerReview.comment, PeerReview.created_at)
        .join(TeacherEnrolment, TeacherEnrolment.id == PeerReview.reviewer_enrolment_id)
        .join(Person, Person.id == TeacherEnrolment.teacher_id)
        .where(PeerReview.submission_id == submission_id).order_by(PeerReview.id))
    return [tuple(row) for row in rows]

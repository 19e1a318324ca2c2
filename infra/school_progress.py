"""Reads of a school's teachers' progress table: the teachers with their names, and the peer reviews each still
owes (none of them commits)."""
from sqlalchemy import func, select
from sqlmodel import Session

from models.campaign import TeacherEnrolment
from models.enums import TaskKind, TaskStatus
from models.human_task import HumanTask
from models.org import Person


def school_teachers(session: Session, school_enrolment_id: int) -> list[tuple[TeacherEnrolment, str, str]]:
    """(enrolment, username, name) of every teacher of the school, withdrawn ones too, in roster order."""
    rows = session.execute(
        select(TeacherEnrolment, Person.username, Person.name).join(Person, Person.id == TeacherEnrolment.teacher_id)
        .where(TeacherEnrolment.school_enrolment_id == school_enrolment_id).order_by(TeacherEnrolment.id))
    return [tuple(row) for row in rows]


def reviews_owed(session: Session, school_enrolment_id: int) -> dict[str, int]:
    """Open peer reviews of the school by the username they are assigned to."""
    return dict(session.execute(
        select(HumanTask.claimed_by, func.count()).where(
            HumanTask.school_enrolment_id == school_enrolment_id, HumanTask.kind == TaskKind.PEER_REVIEW,
            HumanTask.status == TaskStatus.OPEN).group_by(HumanTask.claimed_by)).all())

"""Reads of one person's own year: their teacher enrolments with campaign and school, and their submissions."""
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.org import Unit


EnrolledRow = tuple[TeacherEnrolment, Campaign, SchoolEnrolment, Unit]


def _enrolled(person_id: int):
    return (select(TeacherEnrolment, Campaign, SchoolEnrolment, Unit)
            .join(Campaign, Campaign.id == TeacherEnrolment.campaign_id)
            .join(SchoolEnrolment, SchoolEnrolment.id == TeacherEnrolment.school_enrolment_id)
            .join(Unit, Unit.id == SchoolEnrolment.school_id)
            .where(TeacherEnrolment.teacher_id == person_id))


def teacher_enrolments(session: Session, person_id: int) -> list[EnrolledRow]:
    """Every campaign the person is (or was) enrolled in as a teacher, newest year first."""
    rows = session.execute(_enrolled(person_id).order_by(Campaign.year.desc(), Campaign.code))
    return [tuple(row) for row in rows]


def teacher_enrolment_in(session: Session, person_id: int, campaign: str) -> EnrolledRow | None:
    """The person's teacher enrolment in one campaign, with campaign, school enrolment and school; None if none."""
    row = session.execute(_enrolled(person_id).where(Campaign.code == campaign)).first()
    return tuple(row) if row else None


def submissions(session: Session, teacher_ids: Sequence[int]) -> list[tuple[int, str, Submission]]:
    """(teacher enrolment id, micro-ability code, submission) of those enrolments, by code and attempt."""
    if not teacher_ids:
        return []
    rows = session.execute(
        select(Submission.teacher_enrolment_id, MicroAbility.code, Submission)
        .join(MicroAbility, MicroAbility.id == Submission.micro_ability_id)
        .where(Submission.teacher_enrolment_id.in_(teacher_ids))
        .order_by(MicroAbility.code, Submission.attempt))
    return [tuple(row) for row in rows]

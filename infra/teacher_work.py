"""Queries of teachers' own work: a campaign's catalog, a school's teachers, hour records, submissions, reviews."""
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models.campaign import HourRecord, MicroAbility, PeerReview, Submission, TeacherEnrolment


def catalog(session: Session, campaign_id: int) -> dict[str, MicroAbility]:
    """The campaign's micro-abilities by code."""
    return {m.code: m for m in session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == campaign_id))}


def school_teachers(session: Session, school_enrolment_id: int) -> dict[int, TeacherEnrolment]:
    """The school's teacher enrolments by id."""
    return {t.id: t for t in session.scalars(select(TeacherEnrolment).where(
        TeacherEnrolment.school_enrolment_id == school_enrolment_id, TeacherEnrolment.withdrawn_at.is_(None)))}


def hour_records(session: Session, teacher_enrolment_id: int) -> list[HourRecord]:
    """Every hour record of a teacher enrolment."""
    return list(session.scalars(select(HourRecord).where(HourRecord.teacher_enrolment_id == teacher_enrolment_id)))


def delete_hour_records(session: Session, teacher_enrolment_id: int) -> None:
    """Remove a teacher enrolment's hour records (before recording a fresh export)."""
    session.execute(delete(HourRecord).where(HourRecord.teacher_enrolment_id == teacher_enrolment_id))


def reviews_written(session: Session, teacher_enrolment_id: int) -> int:
    """How many peer reviews the teacher has written."""
    return session.scalar(select(func.count()).select_from(PeerReview)
                          .where(PeerReview.reviewer_enrolment_id == teacher_enrolment_id))


def colleagues_submissions(session: Session, teacher: TeacherEnrolment) -> int:
    """How many submissions the teacher's colleagues (same school, not them) have made."""
    return session.scalar(
        select(func.count()).select_from(Submission)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == teacher.school_enrolment_id,
               TeacherEnrolment.id != teacher.id))


def submissions_of(session: Session, teacher_enrolment_id: int, micro_ability_id: int) -> int:
    """How many times the teacher has submitted for this micro-ability."""
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.teacher_enrolment_id == teacher_enrolment_id, Submission.micro_ability_id == micro_ability_id))


def school_has_submissions(session: Session, school_enrolment_id: int) -> bool:
    """Whether any teacher of the school has submitted."""
    return bool(session.scalar(
        select(func.count()).select_from(Submission)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == school_enrolment_id)))

"""Reads of one person's own year: their teacher enrolments with campaign and school, and their submissions."""
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.enums import SubmissionStatus
from models.evidence import Evidence
from models.human_task import HumanTask
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


def submitted_codes(session: Session, teacher_id: int) -> list[str]:
    """The micro-abilities the teacher has a submission for (withdrawn ones aside)."""
    return list(session.scalars(
        select(MicroAbility.code).distinct().join(Submission, Submission.micro_ability_id == MicroAbility.id)
        .where(Submission.teacher_enrolment_id == teacher_id, Submission.status != SubmissionStatus.WITHDRAWN)))


def latest_attempt(session: Session, teacher_id: int, micro_ability_id: int) -> Submission | None:
    """The teacher's latest attempt at the micro-ability that was not withdrawn, or None."""
    return session.scalars(select(Submission).where(
        Submission.teacher_enrolment_id == teacher_id, Submission.micro_ability_id == micro_ability_id,
        Submission.status != SubmissionStatus.WITHDRAWN).order_by(Submission.attempt.desc()).limit(1)).first()


def teacher_uploads(session: Session, teacher_id: int, code: str) -> set[int]:
    """The ids of the teacher's evidence for a micro-ability."""
    return set(session.scalars(select(Evidence.id).where(Evidence.teacher_enrolment_id == teacher_id,
                                                        Evidence.micro_ability == code)))


def own_submission(session: Session, teacher_id: int, submission_id: int) -> tuple[Submission, str] | None:
    """One of the teacher's submissions with its micro-ability code, locked for update; None if not theirs."""
    row = session.execute(
        select(Submission, MicroAbility.code).join(MicroAbility, MicroAbility.id == Submission.micro_ability_id)
        .where(Submission.id == submission_id, Submission.teacher_enrolment_id == teacher_id)
        .with_for_update(of=Submission)).first()
    return tuple(row) if row else None


def submission_tasks(session: Session, submission_id: int) -> list[HumanTask]:
    """The tasks on a submission (its grading, its peer review), locked for update (a decision on them waits)."""
    return list(session.scalars(select(HumanTask).where(HumanTask.submission_id == submission_id)
                                .order_by(HumanTask.id).with_for_update()))

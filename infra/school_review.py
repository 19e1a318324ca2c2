"""Queries of a school's review: its submissions, grading tasks, presenters' roster and credits (none of them
commits)."""
from sqlalchemy import func, select, update
from sqlmodel import Session

from models.audit import AuditEntry
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.enums import Grade, SubmissionStatus, TaskKind, TaskStatus
from models.human_task import HumanTask
from models.org import Person
from models.policy import Policy


def enrolment_and_policy(session: Session, enrolment_id: int) -> tuple[SchoolEnrolment, Policy]:
    """The school enrolment and its campaign's policy."""
    enrolment = session.get(SchoolEnrolment, enrolment_id)
    return enrolment, Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)


def school_submissions(session: Session, enrolment_id: int) -> list[tuple[Submission, TeacherEnrolment]]:
    """Every submission of the school's teachers with its teacher, oldest first."""
    return [tuple(row) for row in session.execute(
        select(Submission, TeacherEnrolment)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id)
        .order_by(Submission.id)
    ).all()]


def existing_origin_keys(session: Session, keys) -> set[str]:
    """Which of these task origin keys exist already."""
    keys = list(keys)
    return set(session.scalars(select(HumanTask.origin_key).where(HumanTask.origin_key.in_(keys))).all()) if keys \
        else set()


def required_items(session: Session, campaign_id: int) -> dict[int, list[str]]:
    """Each micro-ability's evidence items, by id."""
    return dict(session.execute(select(MicroAbility.id, MicroAbility.evidence_items).where(
        MicroAbility.campaign_id == campaign_id)).all())


def completed_grade_decisions(session: Session, enrolment_id: int) -> list[HumanTask]:
    """The school's completed grading and grade-confirmation tasks, oldest first."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.school_enrolment_id == enrolment_id,
        HumanTask.kind.in_([TaskKind.SUBMISSION_GRADING, TaskKind.GRADE_CONFIRMATION]),
        HumanTask.status == TaskStatus.COMPLETED).order_by(HumanTask.id)
        .execution_options(populate_existing=True)).all())  # a completion is an UPDATE the session has not seen



def presenter_checks(session: Session, enrolment_id: int) -> tuple[tuple[str, str | None], ...]:
    """(presenter's username, outcome or None while open) of the school's presenter verifications."""
    rows = session.execute(
        select(Person.username, HumanTask.status, HumanTask.decision)
        .join(Submission, Submission.id == HumanTask.submission_id)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .join(Person, Person.id == TeacherEnrolment.teacher_id)
        .where(HumanTask.school_enrolment_id == enrolment_id, HumanTask.kind == TaskKind.PRESENTER_VERIFICATION,
               HumanTask.status != TaskStatus.CANCELLED).order_by(Person.username))
    return tuple((username, (decision or {}).get("outcome") if status == TaskStatus.COMPLETED else None)
                 for username, status, decision in rows)


def presenters_work(session: Session, enrolment_id: int, usernames: list[str]) -> dict[str, int]:
    """Each presenter's latest graded submission (what they present), by username."""
    rows = session.execute(
        select(Person.username, func.max(Submission.id))
        .join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
        .join(Submission, Submission.teacher_enrolment_id == TeacherEnrolment.id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id, Person.username.in_(usernames),
               Submission.status == SubmissionStatus.GRADED).group_by(Person.username))
    return dict(rows.all())


def audit_entry(session: Session, command_key: str) -> AuditEntry | None:
    """The audit entry with this command key, if any."""
    return session.scalars(select(AuditEntry).where(AuditEntry.command_key == command_key)).first()


def teacher_usernames(session: Session, enrolment_id: int) -> list[str]:
    """The usernames of the school's teachers."""
    return list(session.scalars(
        select(Person.username).join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id, TeacherEnrolment.withdrawn_at.is_(None))).all())


def credit_passed_teachers(session: Session, enrolment_id: int, hours: float) -> int:
    """Set credited hours for every passed teacher of the school; how many rows were set."""
    return session.execute(
        update(TeacherEnrolment)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id,
               TeacherEnrolment.result.in_([Grade.PASS, Grade.EXCELLENT]), TeacherEnrolment.withdrawn_at.is_(None))
        .values(credited_hours=hours)
    ).rowcount


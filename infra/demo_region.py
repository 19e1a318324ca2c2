"""Queries of the demo's set-up: units by code, whether a campaign exists, a school's enrolled teachers."""
from sqlalchemy import select
from sqlmodel import Session

from models.campaign import Campaign, TeacherEnrolment
from models.enums import Role
from models.org import Person, Unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, if any."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def campaign_exists(session: Session, code: str) -> bool:
    """Whether a campaign of this code exists."""
    return session.scalars(select(Campaign.id).where(Campaign.code == code)).first() is not None


def enrolled_teachers(session: Session, school_enrolment_id: int) -> list[tuple[int, str]]:
    """The school's teachers as (teacher enrolment id, username), in enrolment order."""
    return [tuple(row) for row in session.execute(
        select(TeacherEnrolment.id, Person.username).join(Person, Person.id == TeacherEnrolment.teacher_id)
        .where(TeacherEnrolment.school_enrolment_id == school_enrolment_id, TeacherEnrolment.withdrawn_at.is_(None))
        .order_by(TeacherEnrolment.id)).all()]


def active_teachers(session: Session, unit_id: int) -> list[Person]:
    """The active teachers of a school unit."""
    return list(session.scalars(select(Person).where(Person.unit_id == unit_id, Person.role == Role.TEACHER,
                                                      Person.active.is_(True))).all())

"""Reads and writes of an office's imported files (a roster, a catalog, a platform's hour export); none commits."""
from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlmodel import Session

from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.org import Person, Unit


def units_by_code(session: Session, codes: Collection[str]) -> dict[str, Unit]:
    """The units among these codes, by code (an unknown code is simply absent)."""
    return {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(set(codes)))).all()}


def people_by_username(session: Session, usernames: Collection[str]) -> dict[str, Person]:
    """The people (users and service accounts) among these usernames, by username."""
    return {p.username: p for p in session.scalars(select(Person).where(Person.username.in_(list(usernames)))).all()}


def campaign_catalog(session: Session, campaign_id: int) -> dict[str, MicroAbility]:
    """A campaign's micro-abilities, by code."""
    return {m.code: m for m in session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == campaign_id))}


def codes_with_submissions(session: Session, campaign_id: int, codes: Collection[str]) -> list[str]:
    """Those of the codes some teacher of the campaign has submitted evidence for, sorted."""
    return sorted(session.scalars(
        select(MicroAbility.code).join(Submission, Submission.micro_ability_id == MicroAbility.id)
        .where(MicroAbility.campaign_id == campaign_id, MicroAbility.code.in_(set(codes)))).unique().all())


def remove_micro_abilities(session: Session, rows: Iterable[MicroAbility]) -> None:
    """Drop catalog entries (their submissions were checked absent by the caller)."""
    for row in rows:
        session.delete(row)


def enrolled_teachers(session: Session, campaign_id: int) -> dict[str, TeacherEnrolment]:
    """The campaign's teacher enrolments, by the teacher's username."""
    return dict(session.execute(
        select(Person.username, TeacherEnrolment).join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
        .where(TeacherEnrolment.campaign_id == campaign_id, TeacherEnrolment.withdrawn_at.is_(None))).all())

"""Reads and writes of people: finding one, (de)activating, and the claimed tasks a deactivated person gives back."""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session

from models.enums import TaskStatus
from models.errors import NotFound
from models.human_task import HumanTask
from models.org import Person, Unit


@dataclass(frozen=True)
class ReleasedClaim:
    """An open task a deactivated person had claimed, given back to the inbox."""

    task_id: int
    campaign_id: int
    school_enrolment_id: int | None


def person_named(session: Session, username: str) -> Person:
    """The person with this username, active or not; NotFound otherwise."""
    person = session.scalars(select(Person).where(Person.username == username)).first()
    if person is None:
        raise NotFound(f"user '{username}' does not exist")
    return person


def unit_code(session: Session, unit_id: int) -> str:
    """The code of a unit."""
    return session.get(Unit, unit_id).code


def mark_active(session: Session, person: Person, active: bool) -> bool:
    """Set whether the person is active (conditional UPDATE); False when they already were so."""
    changed = session.execute(update(Person).where(Person.id == person.id, Person.active.is_(not active))
                              .values(active=active)).rowcount == 1
    session.refresh(person)
    return changed


def release_claims(session: Session, username: str) -> list[ReleasedClaim]:
    """Give back every open task the person holds (each a new version), by task id."""
    rows = session.execute(
        update(HumanTask).where(HumanTask.claimed_by == username, HumanTask.status == TaskStatus.OPEN)
        .values(claimed_by=None, claimed_at=None, version=HumanTask.version + 1)
        .returning(HumanTask.id, HumanTask.campaign_id, HumanTask.school_enrolment_id)).all()
    return [ReleasedClaim(*row) for row in sorted(rows)]

"""Deactivating and reactivating people: who may, the claims a deactivated person gives back, the audit entries."""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import Session

from infra import repository as repo
from models.audit import AuditEntry
from models.clock import utcnow
from models.enums import TaskStatus
from models.errors import NotFound, OutOfScope
from models.human_task import HumanTask
from models.org import Person, Principal, Unit
from models.access import OFFICE_ROLES


@dataclass(frozen=True)
class ActiveChange:
    """The outcome of a (de)activation: the person, whether anything changed, the claimed tasks released."""

    username: str
    name: str
    role: str
    unit: str
    active: bool
    changed: bool
    released_tasks: list[int]


def _person(session: Session, username: str) -> Person:
    person = session.scalars(select(Person).where(Person.username == username)).first()
    if person is None:
        raise NotFound(f"user '{username}' does not exist")
    return person


def check_may_change(session: Session, user: Principal, username: str) -> None:
    """A county or city office (de)activates people of its own unit's subtree, never itself; OutOfScope otherwise."""
    person = _person(session, username)
    if user.role not in OFFICE_ROLES:
        raise OutOfScope("only a county or city project office (工程办) deactivates or activates people")
    if person.id == user.id:
        raise OutOfScope("nobody deactivates or activates themselves")
    if not repo.in_subtree(session, user.unit_id, person.unit_id):
        raise OutOfScope(f"user '{username}' is outside your unit")


def set_active(session: Session, actor: str, username: str, active: bool) -> ActiveChange:
    """Deactivate (their JWTs and service tokens stop at the next request, their claimed open tasks go back to the
    inbox) or reactivate a person; each change and each released claim is an audit entry. Repeating is a no-op."""
    person = _person(session, username)
    unit = session.get(Unit, person.unit_id).code
    changed = session.execute(update(Person).where(Person.id == person.id, Person.active.is_(not active))
                              .values(active=active)).rowcount == 1
    released = [] if active or not changed else session.execute(
        update(HumanTask).where(HumanTask.claimed_by == username, HumanTask.status == TaskStatus.OPEN)
        .values(claimed_by=None, claimed_at=None, version=HumanTask.version + 1)
        .returning(HumanTask.id, HumanTask.campaign_id, HumanTask.school_enrolment_id)).all()
    released = sorted(released)
    if changed:
        now = utcnow()
        event = "activate_person" if active else "deactivate_person"
        entries = [AuditEntry(actor=actor, event=event, created_at=now, payload={
            "username": username, "role": str(person.role), "unit": unit,
            "released_tasks": [task_id for task_id, _, _ in released]})]
        entries += [AuditEntry(campaign_id=campaign_id, school_enrolment_id=enrolment_id, actor=actor,
                               event="release_task", created_at=now,
                               payload={"task_id": task_id, "held_by": username, "reason": "holder deactivated"})
                    for task_id, campaign_id, enrolment_id in released]
        repo.append_audit(session, entries)
    session.refresh(person)
    return ActiveChange(person.username, person.name, str(person.role), unit, person.active, changed,
                        [task_id for task_id, _, _ in released])

"""People: an office deactivates or reactivates the people of its unit; an operator does so from the command line."""
from pydantic import BaseModel, ConfigDict

from infra import people
from infra import repository as repo
from application.enrolment import sync_rosters
from infra.unit_of_work import UnitOfWork
from models.access import is_office, within
from models.audit import AuditEntry
from models.clock import utcnow
from models.enums import Role
from models.errors import OutOfScope
from models.org import Principal


class PersonStatus(BaseModel):
    """A person after a (de)activation; `changed` is false when they already were so (nothing recorded)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "DEMO-X1-S001-leader", "name": "演示县第1学校教研组长", "role": "group_leader",
        "unit": "DEMO-X1-S001", "active": False, "changed": True, "released_tasks": [31, 32]}]})
    username: str
    name: str
    role: str
    unit: str
    active: bool
    changed: bool
    released_tasks: list[int]


def deactivate_person(uow: UnitOfWork, user: Principal, username: str) -> PersonStatus:
    """An office deactivates a person of its unit: their tokens stop at their next request, their claims go back."""
    _check_may_change(uow, user, username)
    return set_person_active(uow, user.username, username, False)


def activate_person(uow: UnitOfWork, user: Principal, username: str) -> PersonStatus:
    """An office reactivates a person of its unit (a revoked service token stays revoked)."""
    _check_may_change(uow, user, username)
    return set_person_active(uow, user.username, username, True)


def set_person_active(uow: UnitOfWork, actor: str, username: str, active: bool) -> PersonStatus:
    """Deactivate (releasing their claimed open tasks) or reactivate a person, as `actor`; each change and each
    released claim is an audit entry. Repeating is a no-op. Appends to the audit chain: run it through
    application.concurrency.commit_with_retry."""
    session = uow.session
    person = people.person_named(session, username)
    unit = people.unit_code(session, person.unit_id)
    changed = people.mark_active(session, person, active)
    released = people.release_claims(session, username) if changed and not active else []
    if changed:
        now = utcnow()
        entries = [AuditEntry(actor=actor, event="activate_person" if active else "deactivate_person", created_at=now,
                              payload={"username": username, "role": str(person.role), "unit": unit,
                                       "released_tasks": [claim.task_id for claim in released]})]
        entries += [AuditEntry(campaign_id=claim.campaign_id, school_enrolment_id=claim.school_enrolment_id,
                               actor=actor, event="release_task", created_at=now,
                               payload={"task_id": claim.task_id, "held_by": username, "reason": "holder deactivated"})
                    for claim in released]
        repo.append_audit(session, entries)
        if person.role == Role.TEACHER:  # a teacher who leaves is withdrawn from open campaigns; one back returns
            sync_rosters(uow, actor, {person.unit_id})
    return PersonStatus(username=person.username, name=person.name, role=str(person.role), unit=unit,
                        active=person.active, changed=changed, released_tasks=[claim.task_id for claim in released])


def _check_may_change(uow: UnitOfWork, user: Principal, username: str) -> None:
    """A county or city office (de)activates people of its own unit's subtree, never itself; OutOfScope otherwise."""
    person = people.person_named(uow.session, username)
    if not is_office(user.role):
        raise OutOfScope("only a county or city project office (工程办) deactivates or activates people")
    if person.id == user.id:
        raise OutOfScope("nobody deactivates or activates themselves")
    if not within(user.unit_id, person.unit_id, repo.ancestry_parents(uow.session, person.unit_id)):
        raise OutOfScope(f"user '{username}' is outside your unit")

"""Reads and writes of the campaign calendar: offices' overrides and the due dates that follow from them."""
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from infra import repository as repo
from models.calendar import TASK_STAGE, CalendarOverride, DeadlineScope, OverrideKey, deadline_for, due_at
from models.campaign import SchoolEnrolment
from models.clock import utcnow
from models.enums import TaskKind, TaskStatus
from models.human_task import HumanTask
from models.org import Unit
from models.policy import Policy
from models.access import ancestry, within


def overrides(session: Session, campaign_id: int) -> dict[OverrideKey, date]:
    """Every override of a campaign, keyed by (unit, scope, name)."""
    rows = session.scalars(select(CalendarOverride).where(CalendarOverride.campaign_id == campaign_id)).all()
    return {(o.unit_id, o.scope, o.name): o.deadline for o in rows}


def task_due_at(session: Session, campaign_id: int, policy: Policy, kind: TaskKind, school_id: int,
                opened: datetime) -> datetime:
    """When a task of this kind about this school, opened now, is due (models/calendar.py says how)."""
    chain, unit = [], session.get(Unit, school_id)
    while unit is not None:  # at most four levels, identity-mapped
        chain.append(unit.id)
        unit = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    return due_at(opened, policy.due_days(kind), deadline_for(policy, kind, chain, overrides(session, campaign_id)))


def set_override(session: Session, campaign_id: int, policy: Policy, unit_id: int, scope: DeadlineScope, name: str,
                 deadline: date, actor: str) -> int:
    """Store an office's deadline for its unit, and re-date the open tasks it governs; returns how many moved."""
    row = session.scalars(select(CalendarOverride).where(
        CalendarOverride.campaign_id == campaign_id, CalendarOverride.unit_id == unit_id,
        CalendarOverride.scope == scope, CalendarOverride.name == name)).first()
    row = row or CalendarOverride(campaign_id=campaign_id, unit_id=unit_id, scope=scope, name=name, deadline=deadline,
                                  set_by=actor)
    row.deadline, row.set_by, row.set_at = deadline, actor, utcnow()
    session.add(row)
    session.flush()
    kinds = [name] if scope == DeadlineScope.TASK else [k for k, stage in TASK_STAGE.items() if stage == name]
    return _redate_open_tasks(session, campaign_id, policy, unit_id, kinds)


def _redate_open_tasks(session: Session, campaign_id: int, policy: Policy, unit_id: int, kinds: list[str]) -> int:
    parents = repo.unit_parents(session)
    known = overrides(session, campaign_id)
    rows = session.execute(
        select(HumanTask, SchoolEnrolment.school_id)
        .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
        .where(HumanTask.campaign_id == campaign_id, HumanTask.status == TaskStatus.OPEN, HumanTask.kind.in_(kinds))
    ).all()
    moved = 0
    for task, school_id in rows:
        if not within(unit_id, school_id, parents):
            continue
        kind = TaskKind(task.kind)
        deadline = deadline_for(policy, kind, ancestry(school_id, parents), known)
        due = due_at(task.created_at, policy.due_days(kind), deadline)
        if due != task.due_at:
            task.due_at = due  # the version (ETag) stays: a new due date does not stale a reviewer's decision
            session.add(task)
            moved += 1
    return moved


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, if any."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def unit_codes(session: Session) -> dict[int, str]:
    """Every unit's code by id (who set a deadline is shown by code)."""
    return dict(session.execute(select(Unit.id, Unit.code)).all())

"""Reads of a spot-check draw: the locked schools waiting for an office's draw, and what earlier draws decided for
them (none of them commits)."""
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.audit import AuditEntry
from models.campaign import SchoolEnrolment
from models.enums import SchoolEvent, SchoolState, TaskKind, TaskStatus
from models.human_task import HumanTask
from models.org import Unit
from models.outbox import OutboxEntry


class WaitingSchool(NamedTuple):
    """A locked school whose draw task is open: the task, its version and attempts so far, the school and county."""

    task_id: int
    version: int
    decided_attempts: int
    enrolment_id: int
    school: str
    county: str


def waiting_schools(session: Session, campaign_id: int, office_unit_id: int) -> list[WaitingSchool]:
    """The locked schools whose `spot_check_draw` task, scoped to the office's unit, is open (not decided or queued)
    and whose evidence is held in full (000: 所有材料锁定，等待市级抽查), by county and school code."""
    school, county = aliased(Unit), aliased(Unit)
    decided = (select(func.coalesce(func.max(OutboxEntry.task_attempt), 0)).where(OutboxEntry.task_id == HumanTask.id)
               .scalar_subquery())
    rows = session.execute(
        select(HumanTask.id, HumanTask.version, decided, SchoolEnrolment.id, school.code, county.code)
        .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
        .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
        .where(HumanTask.campaign_id == campaign_id, HumanTask.kind == TaskKind.SPOT_CHECK_DRAW,
               HumanTask.status == TaskStatus.OPEN, HumanTask.unit_id == office_unit_id,
               SchoolEnrolment.state == SchoolState.LOCKED, SchoolEnrolment.evidence_held_at.is_not(None))
        .order_by(county.code, school.code)).all()
    return [WaitingSchool(*row) for row in rows]


def earlier_draws(session: Session, enrolment_ids: list[int]) -> dict[int, bool]:
    """For each school already drawn in an earlier draw (it locked again after a rectification): whether that draw
    sampled it."""
    if not enrolment_ids:
        return {}
    rows = session.execute(
        select(AuditEntry.school_enrolment_id, AuditEntry.event).where(
            AuditEntry.school_enrolment_id.in_(enrolment_ids),
            AuditEntry.event.in_([SchoolEvent.SAMPLE_FOR_SPOT_CHECK, SchoolEvent.SKIP_SPOT_CHECK]))
        .order_by(AuditEntry.id)).all()
    return {enrolment: event == SchoolEvent.SAMPLE_FOR_SPOT_CHECK for enrolment, event in rows}

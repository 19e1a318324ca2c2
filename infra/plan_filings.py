"""Queries of a school's plan filings: each submit_plan move's plan, and the evidence files plans name."""
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from models.audit import AuditEntry
from models.enums import SchoolEvent
from models.evidence import Evidence


def filed_plans(session: Session, enrolment_id: int) -> list[AuditEntry]:
    """The school's submit_plan entries, oldest first (each carries the plan it filed)."""
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.school_enrolment_id == enrolment_id, AuditEntry.event == SchoolEvent.SUBMIT_PLAN)
        .order_by(AuditEntry.id)).all())


def latest_school_entry(session: Session, enrolment_id: int, event: str) -> AuditEntry | None:
    """The school's latest audit entry of this event, or None."""
    return session.scalars(select(AuditEntry).where(
        AuditEntry.school_enrolment_id == enrolment_id, AuditEntry.event == event)
        .order_by(AuditEntry.id.desc()).limit(1)).first()


def evidence_by_id(session: Session, ids: Iterable[int]) -> dict[int, Evidence]:
    """The evidence records with these ids."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {e.id: e for e in session.scalars(select(Evidence).where(Evidence.id.in_(wanted))).all()}

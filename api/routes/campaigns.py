"""Read routes for project offices: where the schools of a campaign stand, and one school's history."""
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from api.deps import SessionDep
from api.problems import ERROR_RESPONSES
from infra import repository as repo
from models.audit import AuditEntry
from models.campaign import SchoolEnrolment

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)


class Progress(BaseModel):
    """Schools of a campaign per lifecycle state."""

    campaign: str
    schools: int
    by_state: dict[str, int]


class HistoryEntry(BaseModel):
    """One audit entry of a school, with the Prefect flow run that applied it."""

    id: int
    event: str
    from_state: str | None
    to_state: str | None
    actor: str
    payload: dict[str, Any]
    flow_run_id: str | None
    created_at: datetime


class SchoolHistory(BaseModel):
    """A school's current state and everything recorded about it, oldest first."""

    school: str
    state: str
    version: int
    entries: list[HistoryEntry]


@router.get("/{campaign}/progress", response_model=Progress)
def campaign_progress(campaign: str, session: SessionDep) -> Progress:
    """Count the campaign's schools in each lifecycle state."""
    row = repo.campaign_by_code(session, campaign)
    counts = dict(session.execute(
        select(SchoolEnrolment.state, func.count()).where(SchoolEnrolment.campaign_id == row.id)
        .group_by(SchoolEnrolment.state)).all())
    return Progress(campaign=campaign, schools=sum(counts.values()), by_state=counts)


@router.get("/{campaign}/schools/{school}/history", response_model=SchoolHistory)
def school_history(campaign: str, school: str, session: SessionDep) -> SchoolHistory:
    """A school's audit entries in order, each naming the flow run that applied it."""
    enrolment = repo.school_enrolment(session, campaign, school)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.school_enrolment_id == enrolment.id)
                              .order_by(AuditEntry.id)).all()
    return SchoolHistory(school=school, state=enrolment.state, version=enrolment.version,
                         entries=[HistoryEntry.model_validate(e, from_attributes=True) for e in entries])

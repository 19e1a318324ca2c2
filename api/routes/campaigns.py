"""Read routes for project offices: where the schools of a campaign stand, and one school's history."""
from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep
from api.problems import error_responses
from infra import repository as repo
from models.audit import AuditEntry
from models.campaign import SchoolEnrolment, TeacherEnrolment
from models.clock import utcnow
from models.enums import TaskStatus
from models.human_task import HumanTask
from models.rules import excellent_rate, pass_rate
from models.errors import OutOfScope
from models.scope import within

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=error_responses(401, 403, 404, 422))
_ENTRY = {"id": 412, "event": "fail_county_assessment", "from_state": "county_assessment", "to_state": "rectifying",
          "actor": "demo-county-expert", "payload": {"reason": "校本研修组织实施记录不完整，需整改", "total": 74.5},
          "flow_run_id": "3f2b8a6e-1c4d-4e5f-9a7b-2c1d0e9f8a7b", "created_at": "2022-11-25T09:30:12.481Z"}


class Progress(BaseModel):
    """Schools per lifecycle state, overdue open tasks, and the teachers' pass and excellent rates."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "campaign": "live-demo-yanzhou-2022-s2022", "schools": 5,
        "by_state": {"plan_submitted": 2, "training": 1, "county_assessment": 1, "locked": 1},
        "overdue_tasks": 1, "teachers": 100, "pass_rate": 0.97, "excellent_rate": 0.12}]})
    campaign: str
    schools: int
    by_state: dict[str, int]
    overdue_tasks: int
    teachers: int
    pass_rate: float
    excellent_rate: float


class HistoryEntry(BaseModel):
    """One audit entry of a school, with the Prefect flow run that applied it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ENTRY]})
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

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"school": "DEMO-X1-S003", "state": "rectifying", "version": 9, "entries": [_ENTRY]}]})
    school: str
    state: str
    version: int
    entries: list[HistoryEntry]


@router.get("/{campaign}/progress", response_model=Progress)
def campaign_progress(campaign: str, session: SessionDep, user: CurrentUser) -> Progress:
    """Count the campaign's schools in each lifecycle state, among those inside the caller's unit."""
    row = repo.campaign_by_code(session, campaign)
    parents = repo.unit_parents(session)
    if not (within(user.unit_id, row.region_unit_id, parents) or within(row.region_unit_id, user.unit_id, parents)):
        raise OutOfScope(f"campaign '{campaign}' is outside your unit")
    states = session.execute(select(SchoolEnrolment.id, SchoolEnrolment.school_id, SchoolEnrolment.state)
                             .where(SchoolEnrolment.campaign_id == row.id)).all()
    mine = {enrolment for enrolment, school, _ in states if within(user.unit_id, school, parents)}
    counts = Counter(state for enrolment, _, state in states if enrolment in mine)
    overdue = session.scalars(select(HumanTask.school_enrolment_id).where(
        HumanTask.campaign_id == row.id, HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < utcnow())).all()
    results = [r for enrolment, r in session.execute(select(TeacherEnrolment.school_enrolment_id, TeacherEnrolment.result)
                                                     .where(TeacherEnrolment.campaign_id == row.id)).all()
               if enrolment in mine]
    return Progress(campaign=campaign, schools=len(mine), by_state=dict(counts),
                    overdue_tasks=sum(1 for e in overdue if e in mine), teachers=len(results),
                    pass_rate=round(pass_rate(results), 4), excellent_rate=round(excellent_rate(results), 4))


@router.get("/{campaign}/schools/{school}/history", response_model=SchoolHistory)
def school_history(campaign: str, school: str, session: SessionDep, user: CurrentUser) -> SchoolHistory:
    """A school's audit entries in order, each naming the flow run that applied it."""
    enrolment = repo.school_enrolment(session, campaign, school)
    if not repo.in_subtree(session, user.unit_id, enrolment.school_id):
        raise OutOfScope(f"school '{school}' is outside your unit")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.school_enrolment_id == enrolment.id)
                              .order_by(AuditEntry.id)).all()
    return SchoolHistory(school=school, state=enrolment.state, version=enrolment.version,
                         entries=[HistoryEntry.model_validate(e, from_attributes=True) for e in entries])

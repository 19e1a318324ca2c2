"""Read routes for project offices: where the schools of a campaign stand, and one school's history."""
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep, StoreDep, link_lifetime
from api.problems import error_responses
from infra import closeout_queries
from infra.campaign_schools import campaign_schools
from infra import repository as repo
from infra.closeout_report import CSV_TYPE, XLSX_TYPE, csv_of_rows
from infra.evidence.store import content_disposition
from models.audit import AuditEntry
from models.campaign import Campaign, SchoolEnrolment, TeacherEnrolment
from models.clock import utcnow
from models.closeout import REPORT_NAMES, SummaryRow, report_key, rows_within
from models.enums import CampaignStatus, Role, SchoolState, TaskStatus
from models.human_task import HumanTask
from models.org import Principal, Unit
from models.rules import excellent_rate, pass_rate
from models.errors import NotFound, OutOfScope
from models.access import within

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


SUMMARY_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.COUNTY_OFFICE, Role.CITY_OFFICE, Role.PROVINCE_AUDITOR})
"""Who reads the 附件2 summary: the school's management and the offices above it."""


class AnnexRow(BaseModel):
    """One row of 003 附件2: a unit, its parent, its counts and rates (None for a unit without teachers)."""

    level: str
    code: str
    name: str
    parent: str | None
    teachers: int
    passed: int
    pass_rate: float | None
    hours_passed: int
    hours_rate: float | None
    assessment_passed: int
    assessment_rate: float | None
    practice_done: int
    practice_rate: float | None

    @classmethod
    def of(cls, row: SummaryRow) -> "AnnexRow":
        """The API's view of a summary row."""
        values = dict(zip(("teachers", "passed", "pass_rate", "hours_passed", "hours_rate", "assessment_passed",
                           "assessment_rate", "practice_done", "practice_rate"), row.figures.annex_values()))
        return cls(level=row.level, code=row.code, name=row.name, parent=row.parent, **values)


class AnnexSummary(BaseModel):
    """003 附件2 for the caller's unit and every unit under it; final once the year-end closeout closed the
    campaign, the figures so far before."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "campaign": "yanzhou-2022", "final": True, "closed_at": "2022-12-31T15:00:04Z", "rows": [
            {"level": "county", "code": "YZ-X1", "name": "兖州区", "parent": "JN", "teachers": 1260, "passed": 1198,
             "pass_rate": 0.9508, "hours_passed": 1231, "hours_rate": 0.977, "assessment_passed": 1214,
             "assessment_rate": 0.9635, "practice_done": 1240, "practice_rate": 0.9841}]}]})
    campaign: str
    final: bool
    closed_at: datetime | None
    rows: list[AnnexRow]


class ReportLink(BaseModel):
    """The latest version of one closeout report file, with a short-lived download link."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "summary.xlsx", "key": "yanzhou-2022/closeout/summary.xlsx", "version_id": "b1f0c2d4e6a8",
        "size": 1511866, "created_at": "2022-12-31T15:00:09Z",
        "url": "https://minio.example/tisheng-evidence/yanzhou-2022/closeout/summary.xlsx?X-Amz-Signature=…",
        "expires_at": "2022-12-31T15:15:09Z"}]})
    name: str
    key: str
    version_id: str
    size: int
    created_at: datetime
    url: str
    expires_at: datetime


REPORT_TYPES = {"summary.xlsx": XLSX_TYPE, "summary.csv": CSV_TYPE}


class NamedUnit(BaseModel):
    """A unit's code and name."""

    code: str
    name: str


class OpenTask(BaseModel):
    """An open task of a school, as the caller's inbox shows it."""

    id: int
    kind: str


class SchoolView(BaseModel):
    """An enrolled school: where it stands and the open tasks on it the caller can see."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "DEMO-X1-S001", "name": "演示县第1学校", "county": {"code": "DEMO-C1-X1", "name": "演示县"},
        "state": "plan_submitted", "version": 2, "open_tasks": [{"id": 17, "kind": "plan_review"}]}]})
    code: str
    name: str
    county: NamedUnit
    state: str
    version: int
    open_tasks: list[OpenTask]


class SchoolPage(BaseModel):
    """One page of a campaign's schools, by school code."""

    total: int
    page: int
    page_size: int
    items: list[SchoolView]


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


def _campaign_in_reach(session: Session, user: Principal, campaign: str) -> tuple[Campaign, dict, bool]:
    """The campaign, the unit tree's parents, and whether the caller sits at or above its region; OutOfScope when
    the caller's unit and the region lie on different branches."""
    row = repo.campaign_by_code(session, campaign)
    parents = repo.unit_parents(session)
    above = within(user.unit_id, row.region_unit_id, parents)
    if not (above or within(row.region_unit_id, user.unit_id, parents)):
        raise OutOfScope(f"campaign '{campaign}' is outside your unit")
    return row, parents, above


@router.get("/{campaign}/progress", response_model=Progress)
def campaign_progress(campaign: str, session: SessionDep, user: CurrentUser) -> Progress:
    """Count the campaign's schools in each lifecycle state, among those inside the caller's unit."""
    row, parents, _ = _campaign_in_reach(session, user, campaign)
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


@router.get("/{campaign}/summary", response_model=AnnexSummary, responses={200: {
    "content": {"text/csv": {}}, "description": "The rows as JSON, or with format=csv as the closeout's CSV."}})
def annex_summary(campaign: str, session: SessionDep, user: CurrentUser,
                  format: Annotated[Literal["json", "csv"], Query(description="json, or csv (UTF-8 with BOM)")] = "json"
                  ) -> AnnexSummary | Response:
    """003 附件2 (参训人员情况汇总表) for your unit and every unit under it, computed as the closeout computes it."""
    if user.role not in SUMMARY_ROLES:
        raise OutOfScope("the summary table is for school management and project offices")
    row, _, above = _campaign_in_reach(session, user, campaign)
    summary = closeout_queries.campaign_summary(session, row)
    top = row.region_unit_id if above else user.unit_id  # nobody sees above the campaign's own region
    rows = rows_within(summary, session.get(Unit, top).code)
    if format == "csv":
        return Response(csv_of_rows(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": content_disposition(f"{campaign}-附件2汇总表.csv")})
    return AnnexSummary(campaign=campaign, final=row.status == CampaignStatus.CLOSED, closed_at=row.closed_at,
                        rows=[AnnexRow.of(r) for r in rows])


@router.get("/{campaign}/closeout/reports", response_model=list[ReportLink], responses=error_responses(503))
def closeout_reports(campaign: str, session: SessionDep, user: CurrentUser, store: StoreDep) -> list[ReportLink]:
    """Download links of the closeout's XLSX and CSV (the whole campaign, newest version of each): for the offices
    of the campaign's region; everyone else reads their own rows at /campaigns/{campaign}/summary."""
    row = repo.campaign_by_code(session, campaign)
    if user.role not in SUMMARY_ROLES or not within(user.unit_id, row.region_unit_id, repo.unit_parents(session)):
        raise OutOfScope(f"the whole reports of '{campaign}' are for its region's offices; "
                         f"GET /campaigns/{campaign}/summary answers your unit's rows")
    if row.closed_at is None:
        raise NotFound(f"campaign '{campaign}' is not closed yet: the closeout writes its reports")
    session.rollback()  # signing may stat the objects: hold no transaction meanwhile
    lifetime, links = link_lifetime(), []
    for name in REPORT_NAMES:
        versions = [v for v in store.versions(report_key(campaign, name)) if v.key == report_key(campaign, name)]
        if versions:
            latest = versions[-1]
            url = store.presign_download(latest.key, latest.version_id, f"{campaign}-{name}", lifetime,
                                         REPORT_TYPES[name])
            links.append(ReportLink(name=name, key=latest.key, version_id=latest.version_id, size=latest.size,
                                    created_at=latest.created_at, url=url, expires_at=utcnow() + lifetime))
    return links


@router.get("/{campaign}/schools", response_model=SchoolPage)
def list_schools(campaign: str, session: SessionDep, user: CurrentUser, state: SchoolState | None = None,
                 unit: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00]+$",
                                                   description="Only schools under this unit (e.g. a county's code).")]
                 = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> SchoolPage:
    """The campaign's enrolled schools inside your unit (a school's people: their own school), by code: each with
    its county, state, version and the open tasks on it that your inbox shows."""
    row, parents, _ = _campaign_in_reach(session, user, campaign)
    total, rows = campaign_schools(session, user, row, parents, state, unit, page, page_size)
    return SchoolPage(total=total, page=page, page_size=page_size, items=[SchoolView(
        code=r.code, name=r.name, county=NamedUnit(code=r.county_code, name=r.county_name), state=r.state,
        version=r.version, open_tasks=[OpenTask(id=i, kind=k) for i, k in r.open_tasks]) for r in rows])


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

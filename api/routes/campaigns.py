"""Read routes for project offices: where the schools of a campaign stand, and one school's history."""
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from api.deps import CurrentUser, StoreDep, UowDep, link_lifetime
from api.problems import error_responses
from api.routes.campaign_views import CampaignLine, CampaignView, NewCampaign
from application import campaign_setup as setup
from application import campaigns as service
from models.closeout import SummaryRow
from models.enums import SchoolState

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=error_responses(401, 403, 404, 422))
_ENTRY = {"id": 412, "event": "fail_county_assessment", "from_state": "county_assessment", "to_state": "rectifying",
          "actor": "demo-county-expert", "payload": {"reason": "校本研修组织实施记录不完整，需整改", "total": 74.5},
          "flow_run_id": "3f2b8a6e-1c4d-4e5f-9a7b-2c1d0e9f8a7b", "created_at": "2022-11-25T09:30:12.481Z"}


class Target(BaseModel):
    """A phasing target of the policy: by a day, a share of the region's schools certified; the share now."""

    by: date
    share: float
    actual: float
    met: bool


class Progress(BaseModel):
    """Schools per lifecycle state, overdue open tasks, and the teachers' pass and excellent rates."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "campaign": "live-demo-yanzhou-2022-s2022", "schools": 5,
        "by_state": {"plan_submitted": 2, "training": 1, "county_assessment": 1, "locked": 1},
        "overdue_tasks": 1, "teachers": 100, "pass_rate": 0.97, "excellent_rate": 0.12,
        "targets": [{"by": "2021-12-31", "share": 0.6, "actual": 0.2, "met": False}]}]})
    campaign: str
    schools: int
    by_state: dict[str, int]
    overdue_tasks: int
    teachers: int
    pass_rate: float
    excellent_rate: float
    targets: list[Target] = []


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


@router.post("", status_code=201, response_model=CampaignView, responses=error_responses(400, 409))
def create_campaign(body: NewCampaign, uow: UowDep, user: CurrentUser) -> CampaignView:
    """Open a campaign year for a province, city or county: a project office at or above the region only. The
    policy (a preset, or a whole policy object: exactly one) is moved to the year and copied, frozen."""
    view = setup.open_campaign(uow, user, body.code, body.region, body.year, body.title, body.preset, body.policy,
                               body.catalog)
    uow.commit()
    return CampaignView.of(view)


@router.get("", response_model=list[CampaignLine])
def list_campaigns(uow: UowDep, user: CurrentUser) -> list[CampaignLine]:
    """The campaigns whose region lies in your unit's subtree, or that your unit lies in; newest year first."""
    return [CampaignLine.of(c) for c in setup.list_campaigns(uow, user)]


@router.get("/{campaign}", response_model=CampaignView)
def show_campaign(campaign: str, uow: UowDep, user: CurrentUser) -> CampaignView:
    """One campaign: its region, year, status, frozen policy and the deadlines in force for its region."""
    return CampaignView.of(setup.show_campaign(uow, user, campaign))


@router.get("/{campaign}/progress", response_model=Progress)
def campaign_progress(campaign: str, uow: UowDep, user: CurrentUser) -> Progress:
    """Count the campaign's schools in each lifecycle state, among those inside the caller's unit."""
    return Progress(**asdict(service.campaign_progress(uow, user, campaign)))


@router.get("/{campaign}/summary", response_model=AnnexSummary, responses={200: {
    "content": {"text/csv": {}}, "description": "The rows as JSON, or with format=csv as the closeout's CSV."}})
def annex_summary(campaign: str, uow: UowDep, user: CurrentUser,
                  format: Annotated[Literal["json", "csv"], Query(description="json, or csv (UTF-8 with BOM)")] = "json"
                  ) -> AnnexSummary | Response:
    """003 附件2 (参训人员情况汇总表) for your unit and every unit under it, computed as the closeout computes it."""
    summary = service.annex_summary(uow, user, campaign)
    if format == "csv":
        return Response(summary.csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": summary.csv_disposition()})
    return AnnexSummary(campaign=campaign, final=summary.final, closed_at=summary.closed_at,
                        rows=[AnnexRow.of(r) for r in summary.rows])


@router.get("/{campaign}/closeout/reports", response_model=list[ReportLink], responses=error_responses(503))
def closeout_reports(campaign: str, uow: UowDep, user: CurrentUser, store: StoreDep) -> list[ReportLink]:
    """Download links of the closeout's XLSX and CSV (the whole campaign, newest version of each): for the offices
    of the campaign's region; everyone else reads their own rows at /campaigns/{campaign}/summary."""
    return [ReportLink(**asdict(link))
            for link in service.closeout_report_links(uow, user, campaign, store, link_lifetime())]


@router.get("/{campaign}/schools", response_model=SchoolPage)
def list_schools(campaign: str, uow: UowDep, user: CurrentUser, state: SchoolState | None = None,
                 unit: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00]+$",
                                                   description="Only schools under this unit (e.g. a county's code).")]
                 = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> SchoolPage:
    """The campaign's enrolled schools inside your unit (a school's people: their own school), by code: each with
    its county, state, version and the open tasks on it that your inbox shows."""
    total, rows = service.list_schools(uow, user, campaign, state, unit, page, page_size)
    return SchoolPage(total=total, page=page, page_size=page_size, items=[SchoolView(
        code=r.code, name=r.name, county=NamedUnit(code=r.county_code, name=r.county_name), state=r.state,
        version=r.version, open_tasks=[OpenTask(id=i, kind=k) for i, k in r.open_tasks]) for r in rows])


@router.get("/{campaign}/schools/{school}/history", response_model=SchoolHistory)
def school_history(campaign: str, school: str, uow: UowDep, user: CurrentUser) -> SchoolHistory:
    """A school's audit entries in order, each naming the flow run that applied it."""
    history = service.school_history(uow, user, campaign, school)
    return SchoolHistory(school=history.school, state=history.state, version=history.version,
                         entries=[HistoryEntry.model_validate(e, from_attributes=True) for e in history.entries])

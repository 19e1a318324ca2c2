"""Reading a campaign as its offices and schools see it: progress, the 附件2 summary, closeout reports, schools,
one school's history."""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra import closeout_queries
from infra import repository as repo
from infra.campaign_schools import SchoolRow, campaign_schools, progress_facts, school_audit_entries, school_unit_ids
from infra.closeout_report import CSV_TYPE, XLSX_TYPE, csv_of_rows
from infra.evidence.store import EvidenceStore, content_disposition
from infra.unit_of_work import UnitOfWork
from models.access import SUMMARY_ROLES, within
from models.audit import AuditEntry
from models.campaign import Campaign
from models.clock import utcnow
from models.closeout import REPORT_NAMES, SummaryRow, report_key, rows_within
from models.enums import CampaignStatus, SchoolState
from models.phasing import TargetProgress, target_progress
from models.policy import Policy
from models.errors import NotFound, OutOfScope
from models.org import Principal, Unit
from models.rules import excellent_rate, pass_rate

REPORT_TYPES = {"summary.xlsx": XLSX_TYPE, "summary.csv": CSV_TYPE}


@dataclass(frozen=True)
class CampaignProgress:
    """Schools per lifecycle state, overdue open tasks, and the teachers' pass and excellent rates."""

    campaign: str
    schools: int
    by_state: dict[str, int]
    overdue_tasks: int
    teachers: int
    pass_rate: float
    excellent_rate: float
    targets: list[TargetProgress]


@dataclass(frozen=True)
class AnnexSummary:
    """003 附件2 rows inside the caller's reach; final once the campaign is closed."""

    campaign: str
    final: bool
    closed_at: datetime | None
    rows: list[SummaryRow]

    def csv(self) -> bytes:
        """The rows as the closeout's CSV (UTF-8 with BOM)."""
        return csv_of_rows(self.rows)

    def csv_disposition(self) -> str:
        """The Content-Disposition of the CSV download."""
        return content_disposition(f"{self.campaign}-附件2汇总表.csv")


@dataclass(frozen=True)
class ReportFile:
    """The latest version of one closeout report file, with a short-lived download link."""

    name: str
    key: str
    version_id: str
    size: int
    created_at: datetime
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class SchoolHistory:
    """A school's current state and everything recorded about it, oldest first."""

    school: str
    state: str
    version: int
    entries: list[AuditEntry]


def campaign_in_reach(uow: UnitOfWork, user: Principal, campaign: str) -> tuple[Campaign, dict, bool]:
    """The campaign, the unit tree's parents, and whether the caller sits at or above its region; OutOfScope when
    the caller's unit and the region lie on different branches."""
    row = repo.campaign_by_code(uow.session, campaign)
    parents = repo.unit_parents(uow.session)
    above = within(user.unit_id, row.region_unit_id, parents)
    if not (above or within(row.region_unit_id, user.unit_id, parents)):
        raise OutOfScope(f"campaign '{campaign}' is outside your unit")
    return row, parents, above


def campaign_progress(uow: UnitOfWork, user: Principal, campaign: str) -> CampaignProgress:
    """Count the campaign's schools in each lifecycle state, among those inside the caller's unit."""
    row, parents, _ = campaign_in_reach(uow, user, campaign)
    facts = progress_facts(uow.session, row.id, utcnow())
    mine = {enrolment for enrolment, school, _ in facts.schools if within(user.unit_id, school, parents)}
    counts = Counter(state for enrolment, _, state in facts.schools if enrolment in mine)
    results = [result for enrolment, result in facts.results if enrolment in mine]
    region_schools = [s for s in school_unit_ids(uow.session) if within(row.region_unit_id, s, parents)]
    certified = sum(1 for _, school, state in facts.schools
                    if state == SchoolState.CERTIFIED and within(row.region_unit_id, school, parents))
    targets = target_progress(Policy.model_validate(row.policy).targets, certified, len(region_schools))
    return CampaignProgress(campaign=campaign, schools=len(mine), by_state=dict(counts),
                            overdue_tasks=sum(1 for e in facts.overdue if e in mine), teachers=len(results),
                            pass_rate=round(pass_rate(results), 4), excellent_rate=round(excellent_rate(results), 4),
                            targets=targets)


def annex_summary(uow: UnitOfWork, user: Principal, campaign: str) -> AnnexSummary:
    """003 附件2 for the caller's unit and every unit under it, computed as the closeout computes it."""
    if user.role not in SUMMARY_ROLES:
        raise OutOfScope("the summary table is for school management and project offices")
    row, _, above = campaign_in_reach(uow, user, campaign)
    summary = closeout_queries.campaign_summary(uow.session, row)
    top = row.region_unit_id if above else user.unit_id  # nobody sees above the campaign's own region
    rows = rows_within(summary, uow.session.get(Unit, top).code)
    return AnnexSummary(campaign, row.status == CampaignStatus.CLOSED, row.closed_at, rows)


def closeout_report_links(uow: UnitOfWork, user: Principal, campaign: str, store: EvidenceStore,
                          lifetime: timedelta) -> list[ReportFile]:
    """Download links of the closeout's XLSX and CSV (newest version of each), for the offices of the campaign's
    region. Ends the unit of work's (read) transaction before asking the store."""
    row = repo.campaign_by_code(uow.session, campaign)
    if user.role not in SUMMARY_ROLES or not within(user.unit_id, row.region_unit_id, repo.unit_parents(uow.session)):
        raise OutOfScope(f"the whole reports of '{campaign}' are for its region's offices; "
                         f"GET /campaigns/{campaign}/summary answers your unit's rows")
    if row.closed_at is None:
        raise NotFound(f"campaign '{campaign}' is not closed yet: the closeout writes its reports")
    uow.rollback()  # signing may stat the objects: hold no transaction meanwhile
    links = []
    for name in REPORT_NAMES:
        versions = [v for v in store.versions(report_key(campaign, name)) if v.key == report_key(campaign, name)]
        if versions:
            latest = versions[-1]
            url = store.presign_download(latest.key, latest.version_id, f"{campaign}-{name}", lifetime,
                                         REPORT_TYPES[name])
            links.append(ReportFile(name, latest.key, latest.version_id, latest.size, latest.created_at, url,
                                    utcnow() + lifetime))
    return links


def list_schools(uow: UnitOfWork, user: Principal, campaign: str, state: str | None, unit: str | None, page: int,
                 page_size: int) -> tuple[int, list[SchoolRow]]:
    """The campaign's enrolled schools inside the caller's unit, by code, paged, each with its open tasks the
    caller's inbox shows; and how many there are."""
    row, parents, _ = campaign_in_reach(uow, user, campaign)
    return campaign_schools(uow.session, user, row, parents, state, unit, page, page_size)


def school_history(uow: UnitOfWork, user: Principal, campaign: str, school: str) -> SchoolHistory:
    """A school's audit entries in order (each naming the flow run that applied it), for the people above it."""
    enrolment = repo.school_enrolment(uow.session, campaign, school)
    if not within(user.unit_id, enrolment.school_id, repo.ancestry_parents(uow.session, enrolment.school_id)):
        raise OutOfScope(f"school '{school}' is outside your unit")
    return SchoolHistory(school, enrolment.state, enrolment.version,
                         school_audit_entries(uow.session, enrolment.id))

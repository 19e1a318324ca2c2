"""Tasks of the year-end closeout: freeze, read the figures, render and store the reports, publish artifacts, carry
over; each calls the application layer (application/closeout.py) or does one store or artifact call."""
import io
from dataclasses import dataclass
from datetime import date, datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from sqlalchemy.exc import IntegrityError

from application.concurrency import committed_with_retry
from application import closeout, moves
from application.closeout import FrozenCampaign
from infra.closeout_report import CSV_TYPE, XLSX_TYPE, county_markdown, county_table, csv_bytes, xlsx_bytes
from infra.evidence import get_evidence_store
from infra.unit_of_work import committed
from models.closeout import ClosedOut, CountySummary, SchoolFigures, Summary, artifact_key
from models.enums import SchoolEvent
from models.errors import StaleState
from tasks.common import TASK_DEFAULTS
from tasks.transitions import announce_school_move

__all__ = ["CSV_TYPE", "XLSX_TYPE", "FrozenCampaign", "StoredReport"]


@dataclass(frozen=True)
class StoredReport:
    """One report file written to the evidence store."""

    key: str
    version_id: str
    size: int
    sha256: str | None


@task(**TASK_DEFAULTS)
def freeze_campaign(campaign: str, actor: str) -> FrozenCampaign:
    """Close the campaign to further writes (idempotent: the first closing time is kept)."""
    return committed(closeout.freeze_campaign, actor, campaign)


@task(**TASK_DEFAULTS)
def count_unfinished_schools(campaign_id: int) -> int:
    """How many schools are not yet certified or incomplete."""
    return committed(closeout.count_unfinished_schools, campaign_id)


@task(**TASK_DEFAULTS)
def close_out_schools(campaign_id: int, campaign: str, actor: str, limit: int) -> list[ClosedOut]:
    """Close out the next `limit` unfinished schools in one transaction (empty when none are left); tried again
    when another writer took the audit chain's head or moved a school."""
    return committed_with_retry(moves.close_out_next_schools, actor, campaign_id, campaign, flow_run.get_id(), limit,
                                retry_on=(IntegrityError, StaleState), attempts=moves.APPEND_ATTEMPTS)


@task(**TASK_DEFAULTS)
def announce_closed_out(campaign: str, actor: str, closed: list[ClosedOut]) -> None:
    """Emit tisheng.school.close_out for each school, as a single transition would."""
    for c in closed:
        announce_school_move(SchoolEvent.CLOSE_OUT, campaign, c.county, c.school, actor, c.from_state, c.to_state,
                             c.version, c.audit_entry_id)


def read_school_figures(campaign_id: int) -> list[SchoolFigures]:
    """Every school's summary counts under the campaign's policy (one aggregate query)."""
    return committed(closeout.school_figures, campaign_id)


@task(**TASK_DEFAULTS)
def closeout_summary(campaign_id: int) -> Summary:
    """003 附件2 of the campaign from the database, rolled up to county, city and province."""
    return committed(closeout.closeout_summary, campaign_id)


def county_groups(summary: Summary, size: int) -> list[list[CountySummary]]:
    """The summary's counties, `size` at a time (one artifact task run per group)."""
    return [list(summary.counties[i:i + size]) for i in range(0, len(summary.counties), size)]


@task(**TASK_DEFAULTS)
def render_closeout_workbook(summary: Summary, campaign: str, closed_at: datetime) -> bytes:
    """The XLSX workbook of the summary: `汇总`, then one annex-2 sheet per county."""
    return xlsx_bytes(summary, campaign, closed_at)


@task(**TASK_DEFAULTS)
def render_closeout_csv(summary: Summary) -> bytes:
    """Every row of every level of the summary as CSV, UTF-8 with a BOM."""
    return csv_bytes(summary)


@task(**TASK_DEFAULTS)
def store_report(key: str, data: bytes, content_type: str) -> StoredReport:
    """Put one report file as a new version of its key in the evidence store."""
    version = get_evidence_store().put(key, io.BytesIO(data), len(data), content_type)
    return StoredReport(version.key, version.version_id, version.size, version.sha256)


@task(**TASK_DEFAULTS)
def publish_county_artifacts(campaign: str, counties: list[CountySummary], report_keys: list[str]) -> list[str]:
    """Each county's table and markdown artifacts (keys `closeout-CAMPAIGN-COUNTY[-summary]`); returns the keys."""
    keys = []
    for county in counties:
        key = artifact_key("closeout", campaign, county.county.code)
        create_table_artifact(table=county_table([*county.schools, county.county]), key=key,
                              description=f"{county.county.name} · {campaign} 参训人员情况汇总表")
        create_markdown_artifact(markdown=county_markdown(county.county, list(county.schools), campaign,
                                                          report_keys),
                                 key=f"{key}-summary", description=f"{county.county.name} · {campaign} 年终汇总")
        keys.append(key)
    return keys


@task(**TASK_DEFAULTS)
def carry_over_teachers(campaign_id: int, next_campaign: str, actor: str) -> dict[str, int]:
    """Enrol the incomplete schools' unfinished teachers in the next campaign (created if missing), once."""
    return committed(closeout.carry_over_teachers, actor, campaign_id, next_campaign)


@task(**TASK_DEFAULTS)
def campaigns_due(day: date) -> list[str]:
    """Open campaigns whose policy's final deadline is on or before `day` (a China date)."""
    return committed(closeout.campaigns_due, day)

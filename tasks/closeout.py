"""Tasks of the year-end closeout: freeze, read the figures, store the reports, publish artifacts, carry over."""
import io
from dataclasses import dataclass
from datetime import date, datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from application import moves
from infra import closeout_queries as q
from infra import repository as repo
from infra.closeout_report import county_markdown, county_table
from infra.db import session_scope
from infra.evidence import get_evidence_store
from models.campaign import Campaign
from models.clock import utcnow
from models.closeout import ClosedOut, CountySummary, SchoolFigures, artifact_key, hour_thresholds, refuse_if_closed
from models.enums import CampaignStatus, SchoolEvent
from models.errors import StaleState
from models.policy import Policy
from tasks.common import TASK_DEFAULTS
from tasks.transitions import announce_school_move

@dataclass(frozen=True)
class FrozenCampaign:
    """A closed campaign as the rest of the closeout needs it."""

    campaign_id: int
    closed_at: datetime


@dataclass(frozen=True)
class StoredReport:
    """One report file written to the evidence store."""

    key: str
    version_id: str
    size: int
    sha256: str | None


@task(**TASK_DEFAULTS)
def freeze_campaign(campaign: str) -> FrozenCampaign:
    """Close the campaign to further writes (idempotent: the first closing time is kept)."""
    with session_scope() as session:
        campaign_id = repo.campaign_by_code(session, campaign).id
        return FrozenCampaign(campaign_id, q.freeze(session, campaign_id, utcnow()))


@task(**TASK_DEFAULTS)
def count_unfinished_schools(campaign_id: int) -> int:
    """How many schools are not yet certified or incomplete."""
    with session_scope() as session:
        return q.count_live_schools(session, campaign_id)


@task(**TASK_DEFAULTS)
def close_out_schools(campaign_id: int, campaign: str, actor: str, limit: int) -> list[ClosedOut]:
    """Close out the next `limit` unfinished schools in one transaction (empty when none are left); tried again
    when another writer took the audit chain's head or moved a school."""
    return moves.committed_with_retries(moves.close_out_next_schools, actor, campaign_id, campaign, flow_run.get_id(),
                                        limit, retry_on=(IntegrityError, StaleState))


@task(**TASK_DEFAULTS)
def announce_closed_out(campaign: str, actor: str, closed: list[ClosedOut]) -> None:
    """Emit tisheng.school.close_out for each school, as a single transition would."""
    for c in closed:
        announce_school_move(SchoolEvent.CLOSE_OUT, campaign, c.county, c.school, actor, c.from_state, c.to_state,
                             c.version, c.audit_entry_id)


def read_school_figures(campaign_id: int) -> list[SchoolFigures]:
    """Every school's summary counts under the campaign's policy (one aggregate query)."""
    with session_scope() as session:
        return q.campaign_figures(session, session.get(Campaign, campaign_id))


@task(**TASK_DEFAULTS)
def school_figures(campaign_id: int) -> list[SchoolFigures]:
    """Every school's summary counts (003 附件2) from the database."""
    return read_school_figures(campaign_id)


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
def carry_over_teachers(campaign_id: int, next_campaign: str) -> dict[str, int]:
    """Enrol the incomplete schools' unfinished teachers in the next campaign (created if missing), once."""
    with session_scope() as session:
        current = session.get(Campaign, campaign_id)
        following = q.ensure_next_campaign(session, current, next_campaign)
        refuse_if_closed(following.code, following.status, following.closed_at)
        policy = Policy.model_validate(current.policy)
        return q.carry_over(session, current.id, following.id, hour_thresholds(policy.hours), utcnow())


@task(**TASK_DEFAULTS)
def campaigns_due(day: date) -> list[str]:
    """Open campaigns whose policy's final deadline is on or before `day` (a China date)."""
    with session_scope() as session:
        rows = session.execute(select(Campaign.code, Campaign.policy).where(
            Campaign.status == CampaignStatus.OPEN).order_by(Campaign.code)).all()
    return [code for code, policy in rows if date.fromisoformat(str(policy["final_deadline"])) <= day]

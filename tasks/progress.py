"""Tasks of the weekly progress run: read the per-county figures, publish them as a Prefect table artifact."""
from collections import Counter
from datetime import datetime

from prefect import task
from prefect.artifacts import create_table_artifact
from sqlalchemy import select
from sqlalchemy.orm import aliased

from infra import repository as repo
from infra.db import session_scope
from models.calendar import CAMPAIGN_TZ
from models.campaign import Campaign, SchoolEnrolment
from models.enums import TaskStatus
from models.human_task import HumanTask
from models.org import Unit
from models.progress import county_progress_rows, progress_artifact_key
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def campaigns_to_report(campaign: str | None) -> list[str]:
    """The named campaign (NotFound if unknown), or every campaign, by code."""
    with session_scope() as session:
        if campaign is not None:
            return [repo.campaign_by_code(session, campaign).code]
        return list(session.scalars(select(Campaign.code).order_by(Campaign.code)).all())


@task(**TASK_DEFAULTS)
def read_county_progress(campaign: str, now: datetime) -> list[dict[str, object]]:
    """Per county of the campaign: schools per lifecycle state and open tasks past their due date."""
    school, county = aliased(Unit), aliased(Unit)
    with session_scope() as session:
        campaign_id = repo.campaign_by_code(session, campaign).id
        schools = session.execute(
            select(county.code, county.name, SchoolEnrolment.state).select_from(SchoolEnrolment)
            .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
            .where(SchoolEnrolment.campaign_id == campaign_id)).all()
        overdue = session.scalars(
            select(county.code).select_from(HumanTask)
            .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
            .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
            .where(HumanTask.campaign_id == campaign_id, HumanTask.status == TaskStatus.OPEN,
                   HumanTask.due_at < now)).all()
    return county_progress_rows(((c, n, str(s)) for c, n, s in schools), Counter(overdue))


@task(**TASK_DEFAULTS)
def publish_progress_table(campaign: str, rows: list[dict[str, object]], now: datetime) -> str:
    """Create the campaign's progress table artifact under its stable key; returns the key."""
    key = progress_artifact_key(campaign)
    create_table_artifact(table=rows, key=key, description=(
        f"**{campaign}** · schools per stage and overdue tasks per county · "
        f"{now.astimezone(CAMPAIGN_TZ):%Y-%m-%d %H:%M} (Asia/Shanghai)"))
    return key

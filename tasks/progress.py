"""Tasks of the weekly progress run: read the per-county figures, publish them as a Prefect table artifact."""
from datetime import datetime

from prefect import task
from prefect.artifacts import create_table_artifact

from application import progress
from infra.unit_of_work import committed
from models.calendar import CAMPAIGN_TZ
from models.progress import progress_artifact_key
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import PROGRESS_TABLES, report


@task(**TASK_DEFAULTS)
def campaigns_to_report(campaign: str | None) -> list[str]:
    """The named campaign (NotFound if unknown), or every campaign, by code."""
    return committed(progress.campaigns_to_report, campaign)


@task(**TASK_DEFAULTS)
def read_county_progress(campaign: str, now: datetime) -> list[dict[str, object]]:
    """Per county of the campaign: schools per lifecycle state and open tasks past their due date."""
    return committed(progress.county_progress, campaign, now)


@task(**TASK_DEFAULTS)
def publish_progress_table(campaign: str, rows: list[dict[str, object]], now: datetime) -> str:
    """Create the campaign's progress table artifact under its stable key (and hand it to an in-process listener,
    e.g. the CLI printing it); returns the key."""
    key = progress_artifact_key(campaign)
    create_table_artifact(table=rows, key=key, description=(
        f"**{campaign}** · schools per stage and overdue tasks per county · "
        f"{now.astimezone(CAMPAIGN_TZ):%Y-%m-%d %H:%M} (Asia/Shanghai)"))
    report(PROGRESS_TABLES, campaign, rows)
    return key

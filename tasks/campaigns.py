"""Tasks reading campaign-wide data, and replacing a campaign's catalog."""
from prefect import task

from application import campaign_info, imports
from infra.unit_of_work import committed
from models.catalog import CatalogEntry
from models.policy import Policy
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def load_campaign_policy(campaign: str) -> Policy:
    """The policy a campaign runs under."""
    return committed(campaign_info.campaign_policy, campaign)


@task(**TASK_DEFAULTS)
def campaign_id_of(campaign: str) -> int:
    """The id of a campaign, or NotFound."""
    return committed(campaign_info.campaign_id, campaign)


@task(**TASK_DEFAULTS)
def replace_catalog(campaign_id: int, entries: list[CatalogEntry]) -> dict[str, int]:
    """Upsert the entries and drop the rest; refuse in a closed campaign, or if a dropped code has submissions."""
    return committed(imports.replace_catalog, campaign_id, entries)

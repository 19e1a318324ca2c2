"""Tasks reading campaign-wide data."""
from prefect import task

from infra import repository as repo
from infra.db import session_scope
from models.policy import Policy
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def load_campaign_policy(campaign: str) -> Policy:
    """The policy a campaign runs under."""
    with session_scope() as session:
        return Policy.model_validate(repo.campaign_by_code(session, campaign).policy)

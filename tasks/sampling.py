"""Task reading the population the city samples from: locked schools per county."""
from prefect import task

from application import school_review
from infra.unit_of_work import committed
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def locked_schools_by_county(campaign: str) -> dict[str, list[str]]:
    """School codes locked with every evidence version held (000: 锁定，等待市级抽查), grouped by county code."""
    return committed(school_review.locked_schools_by_county, campaign)

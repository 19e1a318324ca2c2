"""Task reading the population the city samples from: locked schools per county."""
from collections import defaultdict

from prefect import task
from sqlalchemy import select
from sqlalchemy.orm import aliased

from infra.db import session_scope
from models.campaign import Campaign, SchoolEnrolment
from models.enums import SchoolState
from models.org import Unit
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def locked_schools_by_county(campaign: str) -> dict[str, list[str]]:
    """School codes locked with every evidence version held (000: 锁定，等待市级抽查), grouped by county code."""
    school, county = aliased(Unit), aliased(Unit)
    with session_scope() as session:
        rows = session.execute(
            select(county.code, school.code)
            .select_from(SchoolEnrolment)
            .join(Campaign, Campaign.id == SchoolEnrolment.campaign_id)
            .join(school, school.id == SchoolEnrolment.school_id)
            .join(county, county.id == school.parent_id)
            .where(Campaign.code == campaign, SchoolEnrolment.state == SchoolState.LOCKED,
                   SchoolEnrolment.evidence_held_at.is_not(None))
        ).all()
    grouped: dict[str, list[str]] = defaultdict(list)
    for county_code, school_code in rows:
        grouped[county_code].append(school_code)
    return dict(grouped)

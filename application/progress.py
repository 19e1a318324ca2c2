"""The weekly progress run's steps: which campaigns to report, and each one's figures per county."""
from collections import Counter
from datetime import datetime

from infra import county_progress as q
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.policy import Policy
from models.progress import county_progress_rows


def campaigns_to_report(uow: UnitOfWork, campaign: str | None) -> list[str]:
    """The named campaign (NotFound if unknown), or every campaign, by code."""
    if campaign is not None:
        return [repo.campaign_by_code(uow.session, campaign).code]
    return q.campaign_codes(uow.session)


def county_progress(uow: UnitOfWork, campaign: str, now: datetime) -> list[dict[str, object]]:
    """Per county of the campaign: schools per lifecycle state and open tasks past their due date at `now`."""
    row = repo.campaign_by_code(uow.session, campaign)
    schools = q.school_states_by_county(uow.session, row.id)
    overdue = Counter(q.overdue_task_counties(uow.session, row.id, now))
    targets = Policy.model_validate(row.policy).targets
    counties = q.school_units_by_county(uow.session, sorted({c for c, _, _ in schools})) if targets else {}
    return county_progress_rows(schools, overdue, targets, counties)

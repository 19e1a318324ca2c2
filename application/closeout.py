"""The year-end closeout's steps: freeze the campaign, count and read the schools, carry unfinished teachers over."""
from dataclasses import dataclass
from datetime import date, datetime

from infra import closeout_queries as q
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.campaign import Campaign
from models.clock import utcnow
from models.closeout import SchoolFigures, Summary, hour_thresholds, refuse_if_closed, roll_up
from models.policy import Policy


@dataclass(frozen=True)
class FrozenCampaign:
    """A closed campaign as the rest of the closeout needs it."""

    campaign_id: int
    closed_at: datetime


def freeze_campaign(uow: UnitOfWork, actor: str, campaign: str) -> FrozenCampaign:
    """Close the campaign to further writes (idempotent: the first closing time is kept)."""
    campaign_id = repo.campaign_by_code(uow.session, campaign).id
    return FrozenCampaign(campaign_id, q.freeze(uow.session, campaign_id, utcnow()))


def count_unfinished_schools(uow: UnitOfWork, campaign_id: int) -> int:
    """How many of the campaign's schools are not yet certified or incomplete."""
    return q.count_live_schools(uow.session, campaign_id)


def school_figures(uow: UnitOfWork, campaign_id: int) -> list[SchoolFigures]:
    """Every school's summary counts (003 附件2) under the campaign's own policy, from one aggregate query."""
    return q.campaign_figures(uow.session, uow.session.get(Campaign, campaign_id))


def closeout_summary(uow: UnitOfWork, campaign_id: int) -> Summary:
    """003 附件2 of the campaign: every school's figures rolled up to county, city and province."""
    return roll_up(school_figures(uow, campaign_id))


def carry_over_teachers(uow: UnitOfWork, actor: str, campaign_id: int, next_campaign: str) -> dict[str, int]:
    """Enrol the incomplete schools' unfinished teachers in the next campaign (created if missing), once."""
    session = uow.session
    current = session.get(Campaign, campaign_id)
    following = q.ensure_next_campaign(session, current, next_campaign)
    refuse_if_closed(following.code, following.status, following.closed_at)
    policy = Policy.model_validate(current.policy)
    return q.carry_over(session, current.id, following.id, hour_thresholds(policy.hours), utcnow())


def campaigns_due(uow: UnitOfWork, day: date) -> list[str]:
    """Open campaigns whose policy's final deadline is on or before `day` (a China date), by code."""
    return [code for code, deadline in q.open_campaign_deadlines(uow.session) if date.fromisoformat(deadline) <= day]

"""Tasks reading campaign-wide data."""
from prefect import task
from sqlalchemy import select

from infra import repository as repo
from infra.db import session_scope
from models.campaign import MicroAbility, Submission
from models.catalog import CatalogEntry
from models.errors import RuleViolated
from models.policy import Policy
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def load_campaign_policy(campaign: str) -> Policy:
    """The policy a campaign runs under."""
    with session_scope() as session:
        return Policy.model_validate(repo.campaign_by_code(session, campaign).policy)


@task(**TASK_DEFAULTS)
def campaign_id_of(campaign: str) -> int:
    """The id of a campaign, or NotFound."""
    with session_scope() as session:
        return repo.campaign_by_code(session, campaign).id


@task(**TASK_DEFAULTS)
def replace_catalog(campaign_id: int, entries: list[CatalogEntry]) -> dict[str, int]:
    """Upsert the entries and drop the rest; refuse in a closed campaign, or if a dropped code has submissions."""
    with session_scope() as session:
        repo.writable_campaign(session, campaign_id)
        current = {m.code: m for m in session.scalars(
            select(MicroAbility).where(MicroAbility.campaign_id == campaign_id)).all()}
        dropped = set(current) - {e.code for e in entries}
        used = sorted(session.scalars(
            select(MicroAbility.code).join(Submission, Submission.micro_ability_id == MicroAbility.id)
            .where(MicroAbility.campaign_id == campaign_id, MicroAbility.code.in_(dropped))).unique().all())
        if used:
            raise RuleViolated("catalog_in_use", f"{', '.join(used)} already have submissions and cannot be removed")
        for code in dropped:
            session.delete(current[code])
        for e in entries:
            row = current.get(e.code) or MicroAbility(campaign_id=campaign_id, code=e.code)
            row.name, row.environment, row.dimension = e.name, e.environment, e.dimension
            row.evidence_items, row.confirmed = list(e.evidence_items), e.confirmed
            session.add(row)
        return {"entries": len(entries), "added": len({e.code for e in entries} - set(current)),
                "removed": len(dropped)}

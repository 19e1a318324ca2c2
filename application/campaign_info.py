"""What an operator or a run reads about a campaign: that it exists, its id and policy, its schools' histories."""
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.audit import AuditEntry
from models.errors import NotFound
from models.policy import Policy


def campaign_id(uow: UnitOfWork, campaign: str) -> int:
    """The id of the campaign with this code, or NotFound."""
    return repo.campaign_by_code(uow.session, campaign).id


def campaign_exists(uow: UnitOfWork, campaign: str) -> bool:
    """True when a campaign of this code exists."""
    try:
        repo.campaign_by_code(uow.session, campaign)
    except NotFound:
        return False
    return True


def campaign_policy(uow: UnitOfWork, campaign: str) -> Policy:
    """The policy a campaign runs under."""
    return Policy.model_validate(repo.campaign_by_code(uow.session, campaign).policy)


def school_histories(uow: UnitOfWork, campaign: str) -> list[tuple[str, str, list[AuditEntry]]]:
    """Per school of the campaign, in code order: its code, current state and transition entries in order."""
    return repo.school_histories(uow.session, campaign)

"""The SQL behind opening a campaign and listing campaigns: units by code, campaign rows with their regions."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.campaign import Campaign, MicroAbility
from models.catalog import CatalogEntry
from models.errors import CampaignExists
from models.org import Unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, if any."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def campaign_code_taken(session: Session, code: str) -> bool:
    """Whether a campaign with this code exists."""
    return session.scalars(select(Campaign.id).where(Campaign.code == code)).first() is not None


def insert_campaign(session: Session, campaign: Campaign, catalog: list[CatalogEntry]) -> Campaign:
    """Store a campaign row and its micro-ability catalog (flushed, not committed); CampaignExists when another
    request stored the same code since the caller checked."""
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError as exc:
        raise CampaignExists(f"campaign '{campaign.code}' already exists") from exc
    session.add_all(MicroAbility(campaign_id=campaign.id, code=e.code, name=e.name, environment=e.environment,
                                 dimension=e.dimension, evidence_items=list(e.evidence_items), confirmed=e.confirmed)
                    for e in catalog)
    session.flush()
    return campaign


def campaigns_with_regions(session: Session) -> list[tuple[Campaign, Unit]]:
    """Every campaign with its region unit, newest year first, then by code."""
    query = (select(Campaign, Unit).join(Unit, Unit.id == Campaign.region_unit_id)
             .order_by(Campaign.year.desc(), Campaign.code))
    return [(c, u) for c, u in session.execute(query).all()]

"""The queries behind holding, releasing, retaining and re-reading a school's evidence (none of them commits)."""
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra import repository as repo
from models.campaign import Campaign, SchoolEnrolment
from models.clock import utcnow
from models.evidence import LOCKED_STATES, Evidence
from models.org import Unit
from models.policy import Policy


def school_versions(session: Session, enrolment_id: int, held: bool | None = None,
                    retained_before: datetime | None = None) -> list[tuple[int, str, str]]:
    """(id, key, version id) of the school's evidence, by id: only those (not) held, or not retained until
    `retained_before`, when asked."""
    query = select(Evidence.id, Evidence.key, Evidence.version_id).where(Evidence.school_enrolment_id == enrolment_id)
    if held is not None:
        query = query.where(Evidence.held.is_(held))
    if retained_before is not None:
        query = query.where(Evidence.retained_until.is_(None) | (Evidence.retained_until < retained_before))
    return [tuple(row) for row in session.execute(query.order_by(Evidence.id)).all()]


def set_held(session: Session, ids: list[int], on: bool) -> int:
    """Record these versions as held (or no longer); how many rows changed."""
    return session.execute(update(Evidence).where(Evidence.id.in_(ids)).values(held=on)).rowcount


def set_retained(session: Session, ids: list[int], until: datetime) -> int:
    """Record these versions as retained until `until`; how many rows changed."""
    return session.execute(update(Evidence).where(Evidence.id.in_(ids)).values(retained_until=until)).rowcount


def stamp_held_if_all_held(session: Session, enrolment_id: int) -> bool:
    """Stamp the school's evidence_held_at once every version is held (and only while it is still locked);
    whether it is stamped."""
    unheld = session.scalar(select(Evidence.id).where(
        Evidence.school_enrolment_id == enrolment_id, Evidence.held.is_(False)).limit(1))
    if unheld is not None:
        return False
    session.execute(update(SchoolEnrolment).where(
        SchoolEnrolment.id == enrolment_id, SchoolEnrolment.state.in_(LOCKED_STATES),
        SchoolEnrolment.evidence_held_at.is_(None)).values(evidence_held_at=utcnow()))
    return session.scalar(select(SchoolEnrolment.evidence_held_at).where(
        SchoolEnrolment.id == enrolment_id)) is not None


def clear_held(session: Session, enrolment_id: int) -> None:
    """The school no longer counts as locked: its evidence_held_at is cleared."""
    session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment_id).values(evidence_held_at=None))


def certification(session: Session, enrolment_id: int) -> tuple[datetime, Policy]:
    """When the school last moved (its certification, for a certified school) and its campaign's policy."""
    enrolment = session.get(SchoolEnrolment, enrolment_id)
    return enrolment.updated_at, Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)


def recorded_versions(session: Session, campaign: str, county: str | None,
                      school: str | None) -> list[tuple[int, str, str, str, str]]:
    """(id, school code, key, version id, sha256) of every recorded version of a campaign, narrowed to a county or
    a school; NotFound for an unknown campaign."""
    repo.campaign_by_code(session, campaign)
    school_unit, county_unit = aliased(Unit), aliased(Unit)
    query = (select(Evidence.id, school_unit.code, Evidence.key, Evidence.version_id, Evidence.sha256)
             .join(SchoolEnrolment, SchoolEnrolment.id == Evidence.school_enrolment_id)
             .join(Campaign, Campaign.id == Evidence.campaign_id)
             .join(school_unit, school_unit.id == SchoolEnrolment.school_id)
             .join(county_unit, county_unit.id == school_unit.parent_id)
             .where(Campaign.code == campaign).order_by(Evidence.id))
    if county:
        query = query.where(county_unit.code == county)
    if school:
        query = query.where(school_unit.code == school)
    return [tuple(row) for row in session.execute(query).all()]

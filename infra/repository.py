"""Reads and writes shared by tasks and the API; none of them commits (the caller owns the commit)."""
from collections.abc import Iterable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra.human_tasks import record_decision
from models.audit import GENESIS_HASH, AuditEntry, seal
from models.campaign import Campaign, CountyQuota, SchoolEnrolment
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.rubric import excellent_cap
from models.access import within
from models.enums import TaskStatus, UnitLevel
from models.errors import NotFound
from models.human_task import HumanTask
from models.org import Person, Principal, Unit


def campaign_by_code(session: Session, code: str) -> Campaign:
    """The campaign with this code, or NotFound."""
    campaign = session.scalars(select(Campaign).where(Campaign.code == code)).first()
    if campaign is None:
        raise NotFound(f"campaign '{code}' does not exist")
    return campaign


def writable_campaign(session: Session, campaign_id: int) -> Campaign:
    """The campaign, if it still takes writes; CampaignClosed once the year-end closeout closed it."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    refuse_if_closed(campaign.code, campaign.status, campaign.closed_at)
    return campaign


def school_enrolment(session: Session, campaign_code: str, school_code: str) -> SchoolEnrolment:
    """The enrolment of a school in a campaign, or NotFound."""
    row = session.scalars(
        select(SchoolEnrolment)
        .join(Campaign, Campaign.id == SchoolEnrolment.campaign_id)
        .join(Unit, Unit.id == SchoolEnrolment.school_id)
        .where(Campaign.code == campaign_code, Unit.code == school_code)
    ).first()
    if row is None:
        raise NotFound(f"school '{school_code}' is not enrolled in campaign '{campaign_code}'")
    return row


def chain_head(session: Session) -> str:
    """Hash of the newest audit entry (the genesis hash for an empty log)."""
    head = session.scalars(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return head or GENESIS_HASH


def append_audit(session: Session, entries: list[AuditEntry]) -> None:
    """Seal entries onto the chain head and flush; a concurrent append raises IntegrityError."""
    prev = chain_head(session)
    for entry in entries:
        seal(entry, prev)
        session.add(entry)
        prev = entry.entry_hash
    session.flush()


def complete_human_task(session: Session, task_id: int, decision: dict, actor: str) -> bool:
    """Record a decision on an open task (infra/human_tasks.record_decision); False if it was not open any more."""
    return record_decision(session, task_id, decision, actor, utcnow())


def open_tasks(session: Session, enrolment_id: int, kinds: Iterable[str]) -> list[HumanTask]:
    """Open human tasks of a school enrolment of the given kinds, oldest first."""
    return list(session.scalars(
        select(HumanTask).where(
            HumanTask.school_enrolment_id == enrolment_id, HumanTask.status == TaskStatus.OPEN,
            HumanTask.kind.in_(list(kinds)),
        ).order_by(HumanTask.id)
    ).all())


def school_histories(session: Session, campaign_code: str) -> list[tuple[str, str, list[AuditEntry]]]:
    """Per school of a campaign, in code order: code, current state and its transition entries in order."""
    campaign = campaign_by_code(session, campaign_code)
    schools = session.execute(
        select(SchoolEnrolment.id, Unit.code, SchoolEnrolment.state)
        .join(Unit, Unit.id == SchoolEnrolment.school_id)
        .where(SchoolEnrolment.campaign_id == campaign.id)
        .order_by(Unit.code)
    ).all()
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.campaign_id == campaign.id, AuditEntry.to_state.is_not(None))
        .order_by(AuditEntry.id)
    ).all()
    by_school: dict[int, list[AuditEntry]] = {}
    for entry in entries:
        by_school.setdefault(entry.school_enrolment_id, []).append(entry)
    return [(code, state, by_school.get(enrolment_id, [])) for enrolment_id, code, state in schools]


def audit_entries(session: Session) -> Iterable[AuditEntry]:
    """Every audit entry in id order, streamed."""
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))


def county_school_count(session: Session, campaign_id: int, county_id: int) -> int:
    """Schools of a county enrolled in a campaign."""
    return session.scalar(
        select(func.count()).select_from(SchoolEnrolment).join(Unit, Unit.id == SchoolEnrolment.school_id)
        .where(SchoolEnrolment.campaign_id == campaign_id, Unit.parent_id == county_id)
    )


def county_excellent_cap(session: Session, campaign_id: int, county_id: int, share: float) -> int:
    """003: 优秀等次控制在总数30%以内 — how many of the county's enrolled schools may be graded excellent."""
    return excellent_cap(county_school_count(session, campaign_id, county_id), share)


def excellent_granted(session: Session, campaign_id: int, county_id: int) -> int:
    """How many excellent grades the county has granted in the campaign."""
    return session.scalar(select(CountyQuota.excellent_granted).where(
        CountyQuota.campaign_id == campaign_id, CountyQuota.county_id == county_id)) or 0


def take_excellent_quota(session: Session, campaign_id: int, county_id: int, cap: int) -> bool:
    """Count one more excellent grade if the county is under its cap; the conditional UPDATE closes races."""
    quota = session.scalar(select(CountyQuota.id).where(
        CountyQuota.campaign_id == campaign_id, CountyQuota.county_id == county_id))
    if quota is None:
        session.add(CountyQuota(campaign_id=campaign_id, county_id=county_id))
        session.flush()
    result = session.execute(
        update(CountyQuota)
        .where(CountyQuota.campaign_id == campaign_id, CountyQuota.county_id == county_id,
               CountyQuota.excellent_granted < cap)
        .values(excellent_granted=CountyQuota.excellent_granted + 1)
    )
    return result.rowcount == 1


def unit_parents(session: Session) -> dict[int, int | None]:
    """Every unit's parent, for scope checks (the tree is small: ~25,000 schools for a large province)."""
    return dict(session.execute(select(Unit.id, Unit.parent_id)).all())


def person_by_username(session: Session, username: str, active_only: bool = True) -> Person | None:
    """The (active, unless asked otherwise) person with this username, if any."""
    query = select(Person).where(Person.username == username)
    return session.scalars(query.where(Person.active.is_(True)) if active_only else query).first()


_PRINCIPAL = select(Person.id, Person.username, Person.name, Person.role, Person.unit_id, Person.service_account,
                    Person.active).where(Person.username == bindparam("username"))


def principal_of(session: Session, username: str) -> tuple[Principal, bool] | None:
    """The person with this username as a principal, and whether they are active: one prebuilt Core query, as it
    runs on every request."""
    row = session.connection().execute(_PRINCIPAL, {"username": username}).first()
    return (Principal(*row[:-1]), row[-1]) if row else None


def active_principal(session: Session, username: str) -> Principal | None:
    """The active person with this username as a principal."""
    found = principal_of(session, username)
    return found[0] if found and found[1] else None


def in_subtree(session: Session, user_unit: int, target_unit: int) -> bool:
    """The subtree rule (`models.access.within`): True when target_unit is user_unit or below it; the target's
    ancestry comes in one query."""
    return within(user_unit, target_unit, ancestry_parents(session, target_unit))


def _ancestry_query():
    chain = [aliased(Unit) for _ in UnitLevel]
    query = select(*(column for unit in chain for column in (unit.id, unit.parent_id))).select_from(chain[0])
    for lower, upper in zip(chain, chain[1:]):
        query = query.outerjoin(upper, upper.id == lower.parent_id)
    return query.where(chain[0].id == bindparam("unit_id"))


_ANCESTRY = _ancestry_query()


def ancestry_parents(session: Session, unit_id: int) -> dict[int, int | None]:
    """The parent of the unit and of every unit above it (at most one per level), in one query: what
    `models.access.within` needs to place the unit, without reading the whole tree."""
    row = session.execute(_ANCESTRY, {"unit_id": unit_id}).first() or ()
    return {row[i]: row[i + 1] for i in range(0, len(row), 2) if row[i] is not None}

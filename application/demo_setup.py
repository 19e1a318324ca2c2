"""Setting up the demo: its region, people and enrolled campaign, and what simulated teachers need to act."""
from dataclasses import dataclass
from functools import cache

from infra import demo_region
from infra import repository as repo
from infra import teacher_work
from infra.unit_of_work import UnitOfWork
from application.enrolment import enrol_schools
from infra.security import hash_password
from models.campaign import Campaign, MicroAbility
from models.catalog import CatalogEntry
from models.enums import Role, UnitLevel
from models.errors import DomainError
from models.org import Person, Unit
from models.policy import Policy


@dataclass(frozen=True)
class DemoRoster:
    """Codes and usernames of a demo campaign, as the simulated people need them."""

    campaign: str
    county: str
    schools: tuple[str, ...]
    teachers_per_school: int


@dataclass(frozen=True)
class SchoolRoster:
    """A school's enrolment, teachers (enrolment id, username), catalog, chosen set and policy."""

    enrolment_id: int
    teachers: list[tuple[int, str]]
    catalog: dict[str, MicroAbility]
    school_set: list[str]
    policy: Policy


def _unit(session, code: str, name: str, level: UnitLevel, parent: Unit | None) -> Unit:
    unit = demo_region.unit_by_code(session, code)
    if unit is None:
        unit = Unit(code=code, name=name, level=level, parent_id=parent.id if parent else None)
        session.add(unit)
        session.flush()
    return unit


DEMO_PASSWORD = "tisheng-demo"
"""Password of every demo reviewer and office account (teachers get none)."""


def _person(session, username: str, name: str, role: Role, unit: Unit, password_hash: str | None = None) -> Person:
    person = repo.person_by_username(session, username, active_only=False)
    if person is None:
        person = Person(username=username, name=name, role=role, unit_id=unit.id, password_hash=password_hash)
        session.add(person)
    person.active = True
    return person


@cache
def _staff_hash() -> str:
    """One argon2 hash of the demo password for every demo staff account (argon2 is slow by design)."""
    return hash_password(DEMO_PASSWORD)


def insert_demo_campaign(
    uow: UnitOfWork, campaign: str, policy: Policy, catalog: list[CatalogEntry], schools: int, teachers: int
) -> DemoRoster:
    """Create the demo province → city → county → schools, their people, and the enrolled campaign."""
    session = uow.session
    if demo_region.campaign_exists(session, campaign):
        raise DomainError(f"campaign '{campaign}' already exists; pass another --campaign or a fresh data directory")
    staff_hash = _staff_hash()
    province = _unit(session, "DEMO", "演示省", UnitLevel.PROVINCE, None)
    city = _unit(session, "DEMO-C1", "演示市", UnitLevel.CITY, province)
    county = _unit(session, "DEMO-C1-X1", "演示县", UnitLevel.COUNTY, city)
    for username, role, unit in [
        ("demo-province-auditor", Role.PROVINCE_AUDITOR, province), ("demo-city-office", Role.CITY_OFFICE, city),
        ("demo-city-expert", Role.CITY_EXPERT, city), ("demo-county-office", Role.COUNTY_OFFICE, county),
        ("demo-county-expert", Role.COUNTY_EXPERT, county),
    ]:
        _person(session, username, username, role, unit, staff_hash)
    row = Campaign(code=campaign, year=policy.final_deadline.year, region_unit_id=city.id,
                   policy_name=policy.name, policy=policy.model_dump(mode="json"))
    session.add(row)
    session.flush()
    session.add_all(MicroAbility(campaign_id=row.id, code=e.code, name=e.name, environment=e.environment,
                                 dimension=e.dimension, evidence_items=list(e.evidence_items), confirmed=e.confirmed)
                    for e in catalog)
    codes = []
    for n in range(1, schools + 1):
        school = _unit(session, f"DEMO-X1-S{n:03d}", f"演示县第{n}学校", UnitLevel.SCHOOL, county)
        codes.append(school.code)
        _person(session, f"{school.code}-admin", f"{school.name}管理员", Role.SCHOOL_ADMIN, school, staff_hash)
        _person(session, f"{school.code}-leader", f"{school.name}教研组长", Role.GROUP_LEADER, school, staff_hash)
        staff = {_person(session, f"{school.code}-t{t:03d}", f"{school.name}教师{t}", Role.TEACHER, school).username
                 for t in range(1, teachers + 1)}
        session.flush()
        for extra in demo_region.active_teachers(session, school.id):
            if extra.username not in staff:  # an earlier demo's larger school: this year it has `teachers` only
                extra.active = False
    session.flush()
    enrol_schools(uow, None, campaign, codes, actor="demo")  # as an office enrols: teachers and plan tasks follow
    return DemoRoster(campaign, county.code, tuple(codes), teachers)


def load_school_roster(uow: UnitOfWork, campaign: str, school: str) -> SchoolRoster:
    """What simulated teachers of a school need to act."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    teachers = demo_region.enrolled_teachers(session, enrolment.id)
    catalog = teacher_work.catalog(session, enrolment.campaign_id)
    policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
    return SchoolRoster(enrolment.id, teachers, catalog,
                        list((enrolment.plan or {}).get("micro_abilities", [])), policy)

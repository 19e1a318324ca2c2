"""Task that creates or updates users from a parsed roster, all or nothing."""
from prefect import task
from sqlalchemy import select

from infra.db import session_scope
from infra.security import hash_password
from models.enums import Role, UnitLevel
from models.errors import InvalidRecords
from models.org import Person, Unit
from models.roster import RosterLine
from tasks.common import TASK_DEFAULTS

ROLE_LEVEL = {
    Role.TEACHER: UnitLevel.SCHOOL, Role.GROUP_LEADER: UnitLevel.SCHOOL, Role.SCHOOL_ADMIN: UnitLevel.SCHOOL,
    Role.COUNTY_OFFICE: UnitLevel.COUNTY, Role.COUNTY_EXPERT: UnitLevel.COUNTY,
    Role.CITY_OFFICE: UnitLevel.CITY, Role.CITY_EXPERT: UnitLevel.CITY, Role.PROVINCE_AUDITOR: UnitLevel.PROVINCE,
}
"""The level of unit each role is bound to (DOMAIN.md's role table)."""


@task(**TASK_DEFAULTS)
def upsert_users(lines: list[RosterLine]) -> dict[str, int]:
    """Create or update every user of the roster; an unknown unit or a role at the wrong level refuses all."""
    with session_scope() as session:
        units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_({x.unit_code for x in lines}))).all()}
        problems = []
        for x in lines:
            unit = units.get(x.unit_code)
            if unit is None:
                problems.append(f"line {x.line}: unit '{x.unit_code}' does not exist")
            elif unit.level != ROLE_LEVEL[x.role]:
                problems.append(f"line {x.line}: role {x.role} belongs to a {ROLE_LEVEL[x.role]}, "
                                f"'{x.unit_code}' is a {unit.level}")
        if problems:
            raise InvalidRecords("; ".join(problems))
        existing = {p.username: p for p in session.scalars(
            select(Person).where(Person.username.in_([x.username for x in lines]))).all()}
        for x in lines:
            person = existing.get(x.username) or Person(username=x.username)
            person.name, person.role, person.unit_id = x.name, x.role, units[x.unit_code].id
            person.password_hash = hash_password(x.password)
            session.add(person)
        return {"users": len(lines), "created": len(set(x.username for x in lines) - set(existing))}

"""Task that creates or updates users from a parsed roster, all or nothing."""
from prefect import task
from sqlalchemy import select

from infra.db import session_scope
from infra.security import hash_password
from models.errors import InvalidRecords
from models.org import ROLE_LEVEL, Person, Unit
from models.roster import RosterLine
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step


@task(**TASK_DEFAULTS)
def upsert_users(lines: list[RosterLine]) -> dict[str, int]:
    """Create or update the roster's users; an unknown unit, a wrong-level role or a service account refuses all."""
    with session_scope() as session:
        units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_({x.unit_code for x in lines}))).all()}
        existing = {p.username: p for p in session.scalars(
            select(Person).where(Person.username.in_([x.username for x in lines]))).all()}
        problems = []
        for x in lines:
            unit = units.get(x.unit_code)
            if x.username in existing and existing[x.username].service_account:
                problems.append(f"line {x.line}: '{x.username}' is a service token's account, not a user")
            elif unit is None:
                problems.append(f"line {x.line}: unit '{x.unit_code}' does not exist")
            elif unit.level != ROLE_LEVEL[x.role]:
                problems.append(f"line {x.line}: role {x.role} belongs to a {ROLE_LEVEL[x.role]}, "
                                f"'{x.unit_code}' is a {unit.level}")
        if problems:
            raise InvalidRecords("; ".join(problems))
        for done, x in enumerate(lines, 1):
            person = existing.get(x.username) or Person(username=x.username)
            person.name, person.role, person.unit_id = x.name, x.role, units[x.unit_code].id
            person.password_hash = hash_password(x.password)
            if x.email is not None:
                person.email = x.email or None
            session.add(person)
            report_step("users", done, len(lines))  # each line hashes a password: argon2, ~0.2 s
        return {"users": len(lines), "created": len(set(x.username for x in lines) - set(existing))}

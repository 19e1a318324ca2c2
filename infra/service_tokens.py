"""Service tokens: create, list and revoke them, and find the principal a presented token acts as."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from infra.security import new_service_token
from models.clock import utcnow
from models.enums import Role
from models.errors import InvalidServiceToken, NotAuthenticated, NotFound
from models.org import ROLE_LEVEL, Person, Unit
from models.service_token import ServiceToken, name_problem, token_digest, token_status

LAST_USED_RESOLUTION = timedelta(minutes=1)
"""last_used_at is written at most this often per token, so a busy integration costs no write per request."""


@dataclass(frozen=True)
class TokenListing:
    """A service token as `tokens list` shows it (never the secret)."""

    name: str
    role: str
    unit: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


def create_token(session: Session, name: str, role: str, unit_code: str, days: int | None) -> str:
    """Create a service account and its token; returns the token, which is stored only as a digest."""
    problem = name_problem(name)
    if problem:
        raise InvalidServiceToken(problem)
    if role not in Role.__members__.values():
        raise InvalidServiceToken(f"role '{role}' is not one of {', '.join(Role)}")
    if days is not None and not 1 <= days <= 3650:
        raise InvalidServiceToken(f"--days must be between 1 and 3650, not {days}")
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    if unit is None:
        raise NotFound(f"unit '{unit_code}' does not exist")
    if unit.level != ROLE_LEVEL[Role(role)]:
        raise InvalidServiceToken(f"role {role} belongs to a {ROLE_LEVEL[Role(role)]}, '{unit_code}' is a {unit.level}")
    if session.scalar(select(Person.id).where(Person.username == name)) is not None:
        raise InvalidServiceToken(f"the name '{name}' is taken by a user or another service token")
    person = Person(username=name, name=f"service token {name}", role=Role(role), unit_id=unit.id,
                    service_account=True)
    session.add(person)
    session.flush()
    token, now = new_service_token(), utcnow()
    session.add(ServiceToken(person_id=person.id, token_hash=token_digest(token), created_at=now,
                             expires_at=now + timedelta(days=days) if days else None))
    session.flush()
    return token


def list_tokens(session: Session) -> list[TokenListing]:
    """Every service token, by name, with its status."""
    now = utcnow()
    rows = session.execute(select(ServiceToken, Person.username, Person.role, Unit.code)
                           .join(Person, Person.id == ServiceToken.person_id).join(Unit, Unit.id == Person.unit_id)
                           .order_by(Person.username)).all()
    return [TokenListing(name, role, unit, token_status(token, now), token.created_at, token.expires_at,
                         token.last_used_at) for token, name, role, unit in rows]


def revoke_token(session: Session, name: str) -> bool:
    """Revoke a token and deactivate its account; False if it was revoked already."""
    row = session.execute(select(ServiceToken, Person).join(Person, Person.id == ServiceToken.person_id)
                          .where(Person.username == name)).first()
    if row is None:
        raise NotFound(f"no service token is named '{name}'")
    token, person = row
    if token.revoked_at is not None:
        return False
    token.revoked_at, person.active = utcnow(), False
    session.flush()
    return True


def token_principal(session: Session, bearer: str) -> Person:
    """The service account a presented token acts as; NotAuthenticated if unknown, revoked or expired."""
    row = session.execute(select(ServiceToken, Person).join(Person, Person.id == ServiceToken.person_id)
                          .where(ServiceToken.token_hash == token_digest(bearer))).first()
    if row is None:
        raise NotAuthenticated("unknown service token")
    token, person = row
    now = utcnow()
    status = token_status(token, now)
    if status != "active":
        raise NotAuthenticated(f"service token '{person.username}' is {status}")
    if not person.active:
        raise NotAuthenticated(f"service token '{person.username}' is deactivated (its account was deactivated)")
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        _touch(session, token.id, now)
    return person


def _touch(session: Session, token_id: int, now: datetime) -> None:
    # Its own short transaction: the request's session may never commit (reads), and must not carry this write.
    with session.get_bind().begin() as connection:
        connection.execute(update(ServiceToken).where(
            ServiceToken.id == token_id,
            or_(ServiceToken.last_used_at.is_(None), ServiceToken.last_used_at < now - LAST_USED_RESOLUTION),
        ).values(last_used_at=now))

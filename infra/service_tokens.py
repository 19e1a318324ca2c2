"""Service tokens in the database: store, list and find them, and the principal a presented token acts as."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from infra.security import new_service_token
from models.clock import utcnow
from models.enums import Role
from models.errors import NotAuthenticated, NotFound
from models.org import Person, Unit
from models.service_token import ServiceToken, token_digest, token_status

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


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit of this code, or None."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def username_taken(session: Session, name: str) -> bool:
    """True when a user or a service account already has this username."""
    return session.scalar(select(Person.id).where(Person.username == name)) is not None


def create_token(session: Session, name: str, role: str, unit_code: str, days: int | None) -> str:
    """Insert a service account and its token; returns the token, which is stored only as a digest.

    The request's rules (name, role, level, lifetime, a free name) are application.tokens.create_service_token's,
    which checks them before calling this."""
    unit = unit_by_code(session, unit_code)
    if unit is None:
        raise NotFound(f"unit '{unit_code}' does not exist")
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


def token_named(session: Session, name: str) -> tuple[ServiceToken, Person] | None:
    """The token of this name and its service account, or None."""
    row = session.execute(select(ServiceToken, Person).join(Person, Person.id == ServiceToken.person_id)
                          .where(Person.username == name)).first()
    return (row[0], row[1]) if row else None


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

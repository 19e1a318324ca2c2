"""Service tokens: long-lived API tokens of integrations, created, listed and revoked by an operator."""
from infra import service_tokens as tokens
from infra.service_tokens import TokenListing
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.enums import Role
from models.errors import InvalidServiceToken, NotFound
from models.org import ROLE_LEVEL
from models.service_token import name_problem

MAX_DAYS = 3650


def create_service_token(uow: UnitOfWork, name: str, role: str, unit: str, days: int | None) -> str:
    """Create a service account acting as `role` at `unit`, and its token; returns the token (stored as a digest)."""
    session = uow.session
    problem = name_problem(name)
    if problem:
        raise InvalidServiceToken(problem)
    if role not in Role.__members__.values():
        raise InvalidServiceToken(f"role '{role}' is not one of {', '.join(Role)}")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidServiceToken(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    bound = tokens.unit_by_code(session, unit)
    if bound is None:
        raise NotFound(f"unit '{unit}' does not exist")
    if bound.level != ROLE_LEVEL[Role(role)]:
        raise InvalidServiceToken(f"role {role} belongs to a {ROLE_LEVEL[Role(role)]}, '{unit}' is a {bound.level}")
    if tokens.username_taken(session, name):
        raise InvalidServiceToken(f"the name '{name}' is taken by a user or another service token")
    return tokens.create_token(session, name, role, unit, days)


def service_tokens(uow: UnitOfWork) -> list[TokenListing]:
    """Every service token, by name, with its status (never the secret)."""
    return tokens.list_tokens(uow.session)


def revoke_service_token(uow: UnitOfWork, name: str) -> bool:
    """Revoke a token and deactivate its account; False if it was revoked already."""
    found = tokens.token_named(uow.session, name)
    if found is None:
        raise NotFound(f"no service token is named '{name}'")
    token, person = found
    if token.revoked_at is not None:
        return False
    token.revoked_at, person.active = utcnow(), False
    uow.session.flush()
    return True

"""Logging in: the password check behind the login throttle, and the short-lived token it issues."""
from dataclasses import dataclass

from infra import login_throttle as throttle
from infra import repository as repo
from infra.security import TokenClaims, issue_token, verify_password
from infra.settings import Settings
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.errors import DomainError, LoginLocked, NotAuthenticated
from models.login_throttle import address_key, retry_after, user_key

LOGIN_ATTEMPTS = 5
"""How often a failed login's count is tried when concurrent audit appends (lock-outs) keep taking the chain head."""


@dataclass(frozen=True)
class Login:
    """How a login went: a token and its lifetime, or the refusal to answer once the failure it counted is committed."""

    access_token: str | None
    expires_in: int
    refusal: DomainError | None = None

    def token(self) -> str:
        """The issued token; raises the refusal when the login failed."""
        if self.refusal is not None:
            raise self.refusal
        return self.access_token


def log_in(uow: UnitOfWork, settings: Settings, username: str, password: str, host: str | None) -> Login:
    """Check a username and password from a client address: LoginLocked while either is locked out (the password is
    then not checked); a wrong one is counted (and may lock) and comes back as a refusal, so that the caller commits
    the count before answering; a right one resets the username's failures and issues a token.

    Appends to the audit chain on a lock-out: run it through application.concurrency.commit_with_retry."""
    session, now, user = uow.session, utcnow(), user_key(username)
    wait = retry_after(throttle.lock_end(session, [user, address_key(host)], now), now)
    if wait is not None:
        raise LoginLocked(wait)
    person = None if "\x00" in username else repo.person_by_username(session, username, active_only=False)
    if person is None or not verify_password(person.password_hash, password):
        wait = retry_after(throttle.record_failed_login(session, settings, username, host, now), now)
        return Login(None, 0, LoginLocked(wait) if wait is not None else
                     NotAuthenticated("unknown username or wrong password"))
    if not person.active:
        raise NotAuthenticated(f"user '{person.username}' is deactivated")
    if throttle.has_failures(session, user):
        throttle.forget(session, user)
    token = issue_token(TokenClaims(person.username, person.role, person.unit_id, person.id), settings)
    return Login(token, settings.token_minutes * 60)

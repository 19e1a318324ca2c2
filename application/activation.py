"""First sign-in of a person imported without a password: a one-time activation code sets their password.

Failures count against the login throttle (infra/login_throttle.py) like wrong passwords do, so codes cannot be
guessed faster than passwords; every failure gets the same answer."""
import hmac
from dataclasses import dataclass

from infra import login_throttle as throttle
from infra import repository as repo
from infra.security import hash_password
from infra.settings import Settings
from infra.unit_of_work import UnitOfWork
from models import activation
from models.audit import AuditEntry
from models.clock import utcnow
from models.errors import ActivationRefused, DomainError, LoginLocked, PasswordTooShort
from models.login_throttle import address_key, retry_after, user_key

ACTIVATION_ATTEMPTS = 5
"""How often an activation is tried when concurrent audit appends (lock-outs) keep taking the chain head."""


@dataclass(frozen=True)
class Activation:
    """How an activation went: the activated username, or the refusal to answer once its failure is committed."""

    username: str | None
    refusal: DomainError | None = None

    def activated(self) -> str:
        """The activated username; raises the refusal when activation failed."""
        if self.refusal is not None:
            raise self.refusal
        return self.username


def activate_account(uow: UnitOfWork, settings: Settings, username: str, code: str, password: str,
                     host: str | None) -> Activation:
    """Set a person's first password with their activation code: the code must match (constant-time), be unexpired,
    and the person active and not a service account; the code is then spent. LoginLocked while the username or
    address is locked out (nothing checked); any other failure is counted and comes back as one uniform refusal,
    for the caller to commit before answering.

    Appends to the audit chain: run it through application.concurrency.commit_with_retry."""
    if len(password) < activation.MIN_PASSWORD:
        raise PasswordTooShort(activation.MIN_PASSWORD)
    session, now, user = uow.session, utcnow(), user_key(username)
    wait = retry_after(throttle.lock_end(session, [user, address_key(host)], now), now)
    if wait is not None:
        raise LoginLocked(wait)
    person = None if "\x00" in username else repo.person_by_username(session, username, active_only=False)
    given = activation.digest(code)
    if (person is None or person.service_account or not person.active or person.activation_digest is None
            or activation.is_expired(person.activation_expires_at, now)
            or not hmac.compare_digest(person.activation_digest, given)):
        wait = retry_after(throttle.record_failed_login(session, settings, username, host, now), now)
        return Activation(None, LoginLocked(wait) if wait is not None else ActivationRefused())
    person.password_hash = hash_password(password)
    person.activation_digest = person.activation_expires_at = None
    session.add(person)
    if throttle.has_failures(session, user):
        throttle.forget(session, user)
    repo.append_audit(session, [AuditEntry(actor=person.username, event="activate_account", created_at=now,
                                           payload={"username": person.username})])
    session.flush()
    return Activation(person.username)

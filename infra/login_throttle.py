"""Login failure counters and locks, updated atomically in SQL so every API worker and restart shares them."""
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from infra.repository import append_audit
from infra.settings import Settings
from models.audit import AuditEntry
from models.login_throttle import LoginThrottle, ThrottleRule, address_key, user_key

LOCKOUT_ACTOR = "login-throttle"
LOCKOUT_EVENT = "login_locked"
_table = LoginThrottle.__table__
_c = _table.c


def lock_end(session: Session, keys: Sequence[str], now: datetime) -> datetime | None:
    """The latest end of a lock in force on any of these keys, or None."""
    return session.scalar(select(_c.locked_until).where(_c.key.in_(list(keys)), _c.locked_until > now)
                          .order_by(_c.locked_until.desc()).limit(1))


def record_failure(session: Session, key: str, rule: ThrottleRule, now: datetime) -> datetime | None:
    """Count one failure for the key (one upsert, so concurrent failures all count); the lock's end when this
    failure locked it, else None. Locking starts the count again, so exactly one failure sets each lock."""
    at = literal(now, _c.first_failure_at.type)
    stale = or_(_c.first_failure_at.is_(None), _c.first_failure_at < rule.window_start(now))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    failures = session.execute(
        dialect.insert(_table).values(key=key, failures=1, first_failure_at=now, last_failure_at=now)
        .on_conflict_do_update(index_elements=[_c.key], set_={
            "failures": case((stale, 1), else_=_c.failures + 1),
            "first_failure_at": case((stale, at), else_=_c.first_failure_at),
            "last_failure_at": at})
        .returning(_c.failures)).scalar_one()
    if not rule.locks(failures):
        return None
    until = rule.lock_end(now)
    locked = session.execute(update(_table).where(_c.key == key, _c.failures >= rule.max_failures)
                             .values(locked_until=until, failures=0, first_failure_at=None))
    return until if locked.rowcount == 1 else None


def has_failures(session: Session, key: str) -> bool:
    """True when the key has a counter row (a failure or a lock on record)."""
    return session.scalar(select(_c.key).where(_c.key == key)) is not None


def forget(session: Session, key: str) -> None:
    """Drop the key's failures (a successful login resets its username)."""
    session.execute(delete(_table).where(_c.key == key))


def username_rule(settings: Settings) -> ThrottleRule:
    """The throttle rule of a username (TISHENG_LOGIN_MAX_FAILURES, _WINDOW_MINUTES, _LOCK_MINUTES)."""
    return ThrottleRule(settings.login_max_failures, timedelta(minutes=settings.login_window_minutes),
                        timedelta(minutes=settings.login_lock_minutes))


def address_rule(settings: Settings) -> ThrottleRule:
    """The throttle rule of a client address: the same window and lock, a higher threshold."""
    return ThrottleRule(settings.login_address_max_failures, timedelta(minutes=settings.login_window_minutes),
                        timedelta(minutes=settings.login_lock_minutes))


def record_failed_login(session: Session, settings: Settings, username: str, host: str | None,
                        now: datetime) -> datetime | None:
    """Count a failed login against its username and its client address, with an audit entry per lock-out it
    causes; the end of the longest lock it set, or None. Keys are taken in one order, so two logins never
    deadlock."""
    ends = []
    for key, rule in ((user_key(username), username_rule(settings)), (address_key(host), address_rule(settings))):
        until = record_failure(session, key, rule, now)
        if until is not None:
            ends.append(until)
            append_audit(session, [AuditEntry(
                actor=LOCKOUT_ACTOR, event=LOCKOUT_EVENT, created_at=now,
                payload={"key": key, "failures": rule.max_failures, "window_minutes": rule.window // timedelta(minutes=1),
                         "locked_until": until.isoformat(), "address": host or "unknown"})])
    return max(ends, default=None)

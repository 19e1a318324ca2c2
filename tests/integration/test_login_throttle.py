"""Login throttling through the API: locks per username and per client address, kept in the database."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import app
from infra import repository as repo
from infra.db import session_scope
from infra.security import hash_password
from infra.settings import get_settings
from models.audit import AuditEntry, verify_chain
from models.clock import utcnow
from models.enums import Role, UnitLevel
from models.login_throttle import LoginThrottle
from models.org import Person, Unit

PASSWORD = "a-long-password-of-ours"
_hash = hash_password(PASSWORD)


@pytest.fixture
def person(database, campaign_code) -> str:
    """A county office user with PASSWORD, in a unit of its own."""
    with session_scope() as session:
        unit = Unit(code=f"{campaign_code}-X", name="县", level=UnitLevel.COUNTY)
        session.add(unit)
        session.flush()
        session.add(Person(username=f"{campaign_code}-office", name="工程办", role=Role.COUNTY_OFFICE,
                           unit_id=unit.id, password_hash=_hash))
    return f"{campaign_code}-office"


@pytest.fixture
def low_address_threshold(monkeypatch):
    monkeypatch.setenv("TISHENG_LOGIN_ADDRESS_MAX_FAILURES", "6")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def new_address() -> str:
    """A client address no other test uses."""
    return "fd00::" + ":".join(uuid.uuid4().hex[i:i + 4] for i in range(0, 16, 4))


def client(address: str | None = None) -> TestClient:
    """A client calling from this address (a fresh one by default)."""
    return TestClient(app, client=(address or new_address(), 50000))


def login(http: TestClient, username: str, password: str = PASSWORD):
    return http.post("/auth/token", data={"username": username, "password": password})


def row(key: str) -> LoginThrottle | None:
    with session_scope() as session:
        return session.get(LoginThrottle, key)


def lockouts(key: str) -> list[AuditEntry]:
    with session_scope() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.event == "login_locked")).all()
        return [e for e in entries if e.payload["key"] == key]


def assert_locked(answer) -> None:
    assert answer.status_code == 429 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Too many login attempts"
    assert 0 < int(answer.headers["retry-after"]) <= 15 * 60


def test_five_bad_passwords_lock_the_username_even_for_the_right_password(person):
    http = client()
    assert [login(http, person, "wrong").status_code for _ in range(4)] == [401] * 4
    assert_locked(login(http, person, "wrong"))
    assert_locked(login(http, person))  # the right password is not even checked
    assert_locked(client().post("/auth/token", data={"username": person, "password": PASSWORD}))  # any address
    [entry] = lockouts(f"user:{person}")
    assert entry.actor == "login-throttle" and entry.payload["failures"] == 5
    with session_scope() as session:
        assert verify_chain(repo.audit_entries(session)).ok


def test_after_the_lock_ends_the_right_password_logs_in_and_resets_the_count(person):
    http = client()
    for _ in range(5):
        login(http, person, "wrong")
    with session_scope() as session:
        session.execute(update(LoginThrottle).where(LoginThrottle.key == f"user:{person}")
                        .values(locked_until=utcnow() - timedelta(seconds=1)))
    assert login(http, person).status_code == 200
    assert row(f"user:{person}") is None
    assert [login(http, person, "wrong").status_code for _ in range(4)] == [401] * 4  # a fresh count of five


def test_a_success_resets_the_usernames_failures(person):
    http = client()
    for _ in range(4):
        login(http, person, "wrong")
    assert login(http, person).status_code == 200
    assert [login(http, person, "wrong").status_code for _ in range(4)] == [401] * 4
    assert row(f"user:{person}").failures == 4


def test_failures_older_than_the_window_no_longer_count(person):
    http = client()
    for _ in range(4):
        login(http, person, "wrong")
    with session_scope() as session:
        session.execute(update(LoginThrottle).where(LoginThrottle.key == f"user:{person}")
                        .values(first_failure_at=utcnow() - timedelta(minutes=16)))
    assert login(http, person, "wrong").status_code == 401
    assert row(f"user:{person}").failures == 1


def test_one_address_failing_across_usernames_is_locked_for_everyone_it_tries(person, low_address_threshold,
                                                                            campaign_code):
    host = new_address()
    http, address = client(host), f"ip:{host}"
    answers = [login(http, f"{campaign_code}-nobody-{n}", "guess").status_code for n in range(6)]
    assert answers == [401] * 5 + [429]
    assert_locked(login(http, person))  # a real user with the right password, from the locked address
    assert login(client(), person).status_code == 200  # the same user from elsewhere
    assert len(lockouts(address)) == 1 and lockouts(address)[0].payload["address"] == host
    assert all(row(f"user:{campaign_code}-nobody-{n}").failures == 1 for n in range(6))


def test_concurrent_bad_logins_each_count_and_lock_once(person, monkeypatch):
    monkeypatch.setenv("TISHENG_LOGIN_MAX_FAILURES", "10")
    get_settings.cache_clear()
    try:
        with ThreadPoolExecutor(8) as pool:
            first = list(pool.map(lambda _: login(client(), person, "wrong").status_code, range(8)))
        assert first == [401] * 8 and row(f"user:{person}").failures == 8
        with ThreadPoolExecutor(6) as pool:
            then = list(pool.map(lambda _: login(client(), person, "wrong").status_code, range(6)))
    finally:
        get_settings.cache_clear()
    assert set(then) <= {401, 429} and 429 in then
    assert len(lockouts(f"user:{person}")) == 1
    assert row(f"user:{person}").locked_until > utcnow()

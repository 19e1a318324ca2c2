"""Real infrastructure for integration tests: a Prefect test harness, SQLite and PostgreSQL databases."""
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from prefect.testing.utilities import prefect_test_harness

from infra.db import engine_for, migrate
from infra.prefect_env import fast_flow_runs
from infra.settings import get_settings

PG_ADMIN_DSN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory) -> Iterator[None]:
    """Files the tests make (the local evidence store) go to a temporary data directory, not the checkout."""
    previous = os.environ.get("TISHENG_DATA_DIR")
    os.environ["TISHENG_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    get_settings.cache_clear()
    yield
    if previous is None:
        os.environ.pop("TISHENG_DATA_DIR", None)
    else:
        os.environ["TISHENG_DATA_DIR"] = previous
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A real Prefect API (temporary server) with the flow heartbeat off, for the whole session."""
    with prefect_test_harness(server_startup_timeout=120), fast_flow_runs():
        yield


def _create_pg_database() -> tuple[str, str]:
    name = f"tisheng_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def _drop_pg_database(name: str, url: str) -> None:
    engine_for(url).dispose()
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory) -> Iterator[str]:
    """A migrated database of each backend (PostgreSQL: a database created for this test session)."""
    if request.param == "sqlite":
        url, name = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tisheng.db'}", None
    else:
        name, url = _create_pg_database()
    previous = os.environ.get("TISHENG_DATABASE_URL")
    os.environ["TISHENG_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate(url)
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("TISHENG_DATABASE_URL", None)
        else:
            os.environ["TISHENG_DATABASE_URL"] = previous
        get_settings.cache_clear()
        if name:
            _drop_pg_database(name, url)


@pytest.fixture
def campaign_code() -> str:
    """A campaign code no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}"

"""The fast tier: application-layer services on an in-memory SQLite database, each test in a transaction that is
rolled back (a service never commits, so nothing a test does outlives it)."""
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

import models  # noqa: F401 — registers every table on SQLModel.metadata
from application.demo_setup import DemoRoster, insert_demo_campaign
from infra.unit_of_work import UnitOfWork
from models.catalog import load_catalog
from models.policy import load_preset


def _foreign_keys(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling breaks SAVEPOINTs: SQLAlchemy begins


def _begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session")
def memory_engine():
    """One in-memory SQLite database with every table, for the whole test session."""
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    event.listen(engine, "connect", _foreign_keys)
    event.listen(engine, "begin", _begin)  # so the test's outer transaction is real and rolls back what it commits
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture
def uow(memory_engine) -> Iterator[UnitOfWork]:
    """A unit of work inside a transaction the test rolls back; `uow.commit()` only releases a savepoint."""
    connection = memory_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        yield UnitOfWork(session)
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def demo(uow) -> DemoRoster:
    """The demo region (DEMO → DEMO-C1 → DEMO-C1-X1 → two schools of two teachers) and campaign 'fast'."""
    return insert_demo_campaign(uow, "fast", load_preset("yanzhou-2022"), load_catalog(), 2, 2)

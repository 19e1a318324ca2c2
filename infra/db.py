"""Database engines, sessions and migrations (Alembic, applied on start)."""
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from infra.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


@lru_cache
def engine_for(url: str) -> Engine:
    """One pooled engine per URL; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per checkout; a connection broken by a server restart is invalidated on
    # its first error, and pool_recycle retires idle ones before a firewall or server timeout can cut them.
    # pool_size covers a worker's concurrent requests: overflow connections are closed on return, so a pool
    # smaller than the load opens a new server backend per request.
    return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=1800)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_engine() -> Engine:
    """The engine for the configured database."""
    return engine_for(get_settings().db_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error; the caller owns it."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    """Bring the database schema up to the latest migration."""
    command.upgrade(alembic_config(url or get_settings().db_url), "head")

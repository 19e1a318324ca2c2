"""Prefect settings Tisheng runs with: its home under the data dir, no telemetry, no flow heartbeat."""
import os
from collections.abc import Iterator
from contextlib import contextmanager

from infra.settings import Settings


def configure_prefect_env(settings: Settings, log_level: str = "WARNING", quiet_console: bool = False) -> None:
    """Point Prefect at the data directory; call before prefect is imported. A quiet console keeps Prefect's
    run logs (failed runs included) off the terminal; they still reach the Prefect API and UI."""
    settings.prefect_home_path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home_path))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
    if quiet_console:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    if settings.prefect_database_url:
        os.environ.setdefault("PREFECT_SERVER_DATABASE_CONNECTION_URL", settings.prefect_database_url)
    else:
        # On SQLite, Prefect's task-run recorder contends for the write lock and stalls clients for up to
        # 60 s (5-school demo: 48-110 s with it, 10-12 s without). Flow runs and events are still recorded.
        os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")


@contextmanager
def fast_flow_runs() -> Iterator[None]:
    """Turn the flow heartbeat off: a sync run then costs tens of milliseconds, not a second."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield

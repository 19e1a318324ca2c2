"""Flow of the weekly progress run: a per-county table artifact per campaign, for offices in the Prefect UI."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prefect import flow

from models.clock import utcnow
from tasks.progress import campaigns_to_report, publish_progress_table, read_county_progress

TableListener = Callable[[str, list[dict[str, object]]], None]

_listener: ContextVar[TableListener | None] = ContextVar("progress_table_listener", default=None)


@contextmanager
def progress_tables(listener: TableListener) -> Iterator[None]:
    """Call listener(campaign, rows) with each table an in-process run publishes (the CLI prints them)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


@flow(name="weekly-progress", flow_run_name="weekly progress", persist_result=False)
def weekly_progress(campaign: str | None = None) -> dict[str, str]:
    """Publish each campaign's schools per state and overdue tasks per county; returns artifact key per campaign."""
    now, listener, keys = utcnow(), _listener.get(), {}
    for code in campaigns_to_report(campaign):
        rows = read_county_progress(code, now)
        keys[code] = publish_progress_table(code, rows, now)
        if listener:
            listener(code, rows)
    return keys

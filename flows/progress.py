"""Flow of the weekly progress run: a per-county table artifact per campaign, for offices in the Prefect UI."""
from prefect import flow

from models.clock import utcnow
from tasks.progress import campaigns_to_report, publish_progress_table, read_county_progress
from tasks.step_progress import progress_tables

__all__ = ["progress_tables", "weekly_progress"]


@flow(name="weekly-progress", flow_run_name="weekly progress", persist_result=False)
def weekly_progress(campaign: str | None = None) -> dict[str, str]:
    """Publish each campaign's schools per state and overdue tasks per county; returns artifact key per campaign."""
    now, keys = utcnow(), {}
    for code in campaigns_to_report(campaign):
        keys[code] = publish_progress_table(code, read_county_progress(code, now), now)
    return keys

"""The year-end closeout (issue 6 item 3): freeze, close out live schools, the 附件2 summary, reports, carry-over.

Deployed on a cron of Dec 31 23:00 Asia/Shanghai and run on demand by `tisheng closeout CAMPAIGN`.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow, tags
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from pydantic import BaseModel

from flows.transition import apply_school_transitions
from infra.closeout_report import CSV_TYPE, XLSX_TYPE, csv_bytes, xlsx_bytes
from models.closeout import artifact_key, next_campaign_code, report_key, roll_up
from models.enums import SchoolEvent
from models.transition import TransitionRequest
from tasks.closeout import (
    campaigns_due, carry_over_teachers, freeze_campaign, publish_county_artifacts, school_figures, store_report,
    unfinished_schools,
)

ACTOR = "year-end-closeout"
FIXED_STEPS = 5  # freeze, close out, figures, reports, carry-over; plus one per county's artifacts

_listener: ContextVar[Callable[[int, int, str], None] | None] = ContextVar("closeout_listener", default=None)


@contextmanager
def closeout_progress(listener: Callable[[int, int, str], None]) -> Iterator[None]:
    """Call listener(done, total, step) as an in-process closeout advances (the CLI's progress bar)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class CloseoutResult(BaseModel):
    """What a closeout did: figures at the top, schools closed out, reports written, teachers carried over."""

    campaign: str
    closed_at: str
    schools: int
    teachers: int
    passed: int
    closed_out: list[str]
    refused: list[str]
    reports: dict[str, str]
    county_artifacts: list[str]
    next_campaign: str
    carried: dict[str, int]


class _Progress:
    """The run's progress artifact, and the in-process listener if any."""

    def __init__(self, campaign: str):
        self.done, self.total = 0, FIXED_STEPS
        self.artifact = create_progress_artifact(0.0, key=artifact_key("closeout-progress", campaign),
                                                 description=f"year-end closeout of {campaign}")
        self.listener = _listener.get()

    def advance(self, step: str, extra_steps: int = 0) -> None:
        self.done += 1
        self.total += extra_steps
        update_progress_artifact(self.artifact, 100.0 * self.done / self.total, description=step)
        if self.listener:
            self.listener(self.done, self.total, step)


@flow(name="year-end-closeout", flow_run_name="closeout · {campaign}", persist_result=False)
def closeout_flow(campaign: str, next_campaign: str | None = None) -> CloseoutResult:
    """Close a campaign for the year; re-running gives the same figures and adds no duplicates."""
    following = next_campaign_code(campaign, next_campaign)
    progress = _Progress(campaign)
    frozen = freeze_campaign(campaign)
    progress.advance("campaign frozen")
    live = unfinished_schools(frozen.campaign_id)
    outcomes = apply_school_transitions([
        TransitionRequest(campaign=campaign, county=county, school=school, event=SchoolEvent.CLOSE_OUT, actor=ACTOR,
                          payload={"reason": "年终未完成 (year-end closeout)"},
                          command_key=f"{campaign}:close_out:{school}")
        for county, school in live], label=f"close out · {campaign}") if live else []
    progress.advance(f"{len(live)} unfinished school(s) closed out")
    summary = roll_up(school_figures(frozen.campaign_id))
    progress.advance("figures computed", extra_steps=len(summary.counties))
    reports = [store_report(report_key(campaign, "summary.xlsx"), xlsx_bytes(summary, campaign, frozen.closed_at),
                            XLSX_TYPE),
               store_report(report_key(campaign, "summary.csv"), csv_bytes(summary), CSV_TYPE)]
    progress.advance("reports written")
    keys = [r.key for r in reports]
    county_keys = []
    for county in summary.counties:
        county_keys.append(publish_county_artifacts(campaign, county, keys))
        progress.advance(f"artifacts of {county.county.code}")
    carried = carry_over_teachers(frozen.campaign_id, following)
    progress.advance(f"{carried['teachers']} teacher(s) carried over to {following}")
    return CloseoutResult(
        campaign=campaign, closed_at=frozen.closed_at.isoformat(), schools=summary.levels.get("school", 0),
        teachers=summary.province.figures.teachers, passed=summary.province.figures.passed,
        closed_out=[o.school for o in outcomes if not isinstance(o, str)],
        refused=[o for o in outcomes if isinstance(o, str)],
        reports={r.key: r.version_id for r in reports}, county_artifacts=county_keys, next_campaign=following,
        carried=carried)


def run_closeout(campaign: str, next_campaign: str | None = None) -> CloseoutResult:
    """Run the closeout in-process, tagged with its campaign."""
    with tags("tisheng", f"campaign:{campaign}", "closeout"):
        return closeout_flow(campaign, next_campaign)


@flow(name="year-end-closeout-due", flow_run_name="closeout · campaigns due", persist_result=False)
def closeout_due_campaigns(day: date | None = None) -> list[str]:
    """The Dec 31 schedule: close out every open campaign whose final deadline has come (China date)."""
    due = campaigns_due(day or datetime.now(ZoneInfo("Asia/Shanghai")).date())
    for code in due:
        closeout_flow(code)
    return due

"""The year-end closeout (issue 6 item 3): freeze, close out live schools, the 附件2 summary, reports, carry-over,
and an audit checkpoint anchoring the closeout's entries.

Deployed on a cron of Dec 31 23:00 Asia/Shanghai and run on demand by `tisheng closeout CAMPAIGN`.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow, tags, unmapped
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from pydantic import BaseModel

from flows.audit import audit_checkpoint
from infra.closeout_report import CSV_TYPE, XLSX_TYPE, csv_bytes, xlsx_bytes
from models.closeout import REPORT_NAMES, artifact_key, next_campaign_code, report_key, roll_up
from tasks.closeout import (
    announce_closed_out, campaigns_due, carry_over_teachers, close_out_schools, count_unfinished_schools,
    freeze_campaign, publish_county_artifacts, school_figures, store_report,
)

ACTOR = "year-end-closeout"
CLOSE_OUT_BATCH = 500
"""Schools closed out per transaction: large enough that a province's few thousand live schools take a handful of
task runs, small enough that one batch holds its row locks for well under a second."""
ARTIFACT_STEP = 5.0  # percent of progress between two updates of the progress artifact
COUNTIES_PER_TASK = 10  # a task run costs about as much as a county's two artifacts
FIXED_STEPS = 5  # freeze, figures, reports, carry-over, audit checkpoint; plus one per close-out batch and county group

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
    reports: dict[str, str]
    county_artifacts: list[str]
    next_campaign: str
    carried: dict[str, int]
    audit_checkpoint: str


class _Progress:
    """The run's progress artifact, and the in-process listener if any."""

    def __init__(self, campaign: str):
        self.done, self.total, self.shown = 0, FIXED_STEPS, 0.0
        self.artifact = create_progress_artifact(0.0, key=artifact_key("closeout-progress", campaign),
                                                 description=f"year-end closeout of {campaign}")
        self.listener = _listener.get()

    def advance(self, step: str, extra_steps: int = 0) -> None:
        self.done += 1
        self.total += extra_steps
        percent = 100.0 * self.done / self.total
        if percent - self.shown >= ARTIFACT_STEP or self.done == self.total:  # one API call per step is too many
            update_progress_artifact(self.artifact, percent, description=step)
            self.shown = percent
        if self.listener:
            self.listener(self.done, self.total, step)


@flow(name="year-end-closeout", flow_run_name="closeout · {campaign}", persist_result=False)
def closeout_flow(campaign: str, next_campaign: str | None = None) -> CloseoutResult:
    """Close a campaign for the year; re-running gives the same figures and adds no duplicates."""
    following = next_campaign_code(campaign, next_campaign)
    progress = _Progress(campaign)
    frozen = freeze_campaign(campaign)
    live = count_unfinished_schools(frozen.campaign_id)
    progress.advance("campaign frozen", extra_steps=-(-live // CLOSE_OUT_BATCH))
    closed_out: list[str] = []
    while batch := close_out_schools(frozen.campaign_id, campaign, ACTOR, CLOSE_OUT_BATCH):
        announce_closed_out(campaign, ACTOR, batch)
        closed_out += [c.school for c in batch]
        progress.advance(f"{len(closed_out)} of {live} unfinished school(s) closed out")
    summary = roll_up(school_figures(frozen.campaign_id))
    groups = [list(summary.counties[i:i + COUNTIES_PER_TASK])
              for i in range(0, len(summary.counties), COUNTIES_PER_TASK)]
    progress.advance("figures computed", extra_steps=len(groups))
    keys = [report_key(campaign, name) for name in REPORT_NAMES]
    # Artifacts (Prefect API calls) and the carry-over (PostgreSQL) run in threads while this one renders the XLSX.
    carrying = carry_over_teachers.submit(frozen.campaign_id, following)
    published = publish_county_artifacts.map(campaign, groups, unmapped(keys))
    reports = [store_report(keys[0], xlsx_bytes(summary, campaign, frozen.closed_at), XLSX_TYPE),
               store_report(keys[1], csv_bytes(summary), CSV_TYPE)]
    progress.advance("reports written")
    county_keys = []
    for group, future in zip(groups, published, strict=True):
        county_keys += future.result()
        progress.advance(f"artifacts of {group[0].county.code}…{group[-1].county.code}")
    carried = carrying.result()
    progress.advance(f"{carried['teachers']} teacher(s) carried over to {following}")
    anchored = audit_checkpoint()  # the closeout's entries are anchored before it reports done
    progress.advance(anchored.summary)
    return CloseoutResult(
        campaign=campaign, closed_at=frozen.closed_at.isoformat(), schools=summary.levels.get("school", 0),
        teachers=summary.province.figures.teachers, passed=summary.province.figures.passed,
        closed_out=closed_out,
        reports={r.key: r.version_id for r in reports}, county_artifacts=county_keys, next_campaign=following,
        carried=carried, audit_checkpoint=anchored.summary)


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

"""The year-end closeout (issue 6 item 3): freeze, close out live schools, the 附件2 summary, reports, carry-over,
and an audit checkpoint anchoring the closeout's entries.

Deployed on a cron of Dec 31 23:00 Asia/Shanghai and run on demand by `tisheng closeout CAMPAIGN`.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow, tags, unmapped
from prefect.utilities.annotations import quote
from pydantic import BaseModel

from flows.audit import audit_checkpoint
from models.closeout import REPORT_NAMES, artifact_key, next_campaign_code, report_key
from tasks.closeout import (
    CSV_TYPE, XLSX_TYPE, announce_closed_out, campaigns_due, carry_over_teachers, close_out_schools, closeout_summary,
    count_unfinished_schools, county_groups, freeze_campaign, publish_county_artifacts, render_closeout_csv,
    render_closeout_workbook, store_report,
)
from tasks.step_progress import CLOSEOUT, RunProgress, closeout_progress

__all__ = ["CloseoutResult", "closeout_due_campaigns", "closeout_flow", "closeout_progress", "run_closeout"]

ACTOR = "year-end-closeout"
CLOSE_OUT_BATCH = 500
"""Schools closed out per transaction: large enough that a province's few thousand live schools take a handful of
task runs, small enough that one batch holds its row locks for well under a second."""
ARTIFACT_STEP = 5.0  # percent of progress between two updates of the progress artifact
COUNTIES_PER_TASK = 10  # a task run costs about as much as a county's two artifacts
FIXED_STEPS = 5  # freeze, figures, reports, carry-over, audit checkpoint; plus one per close-out batch and county group


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


@flow(name="year-end-closeout", flow_run_name="closeout · {campaign}", persist_result=False)
def closeout_flow(campaign: str, next_campaign: str | None = None) -> CloseoutResult:
    """Close a campaign for the year; re-running gives the same figures and adds no duplicates."""
    following = next_campaign_code(campaign, next_campaign)
    progress = RunProgress(CLOSEOUT, artifact_key("closeout-progress", campaign), f"year-end closeout of {campaign}",
                           FIXED_STEPS, ARTIFACT_STEP)
    frozen = freeze_campaign(campaign, ACTOR)
    live = count_unfinished_schools(frozen.campaign_id)
    progress.advance("campaign frozen", extra_steps=-(-live // CLOSE_OUT_BATCH))
    closed_out: list[str] = []
    while batch := close_out_schools(frozen.campaign_id, campaign, ACTOR, CLOSE_OUT_BATCH):
        announce_closed_out(campaign, ACTOR, batch)
        closed_out += [c.school for c in batch]
        progress.advance(f"{len(closed_out)} of {live} unfinished school(s) closed out")
    summary = closeout_summary(frozen.campaign_id)
    groups = county_groups(summary, COUNTIES_PER_TASK)
    progress.advance("figures computed", extra_steps=len(groups))
    keys = [report_key(campaign, name) for name in REPORT_NAMES]
    # Artifacts (Prefect API calls) and the carry-over (PostgreSQL) run in threads while this one renders the XLSX;
    # the summary is quoted so Prefect does not walk its rows looking for futures.
    carrying = carry_over_teachers.submit(frozen.campaign_id, following, ACTOR)
    published = publish_county_artifacts.map(campaign, groups, unmapped(keys))
    workbook = render_closeout_workbook(quote(summary), campaign, frozen.closed_at)
    reports = [store_report(keys[0], workbook, XLSX_TYPE),
               store_report(keys[1], render_closeout_csv(quote(summary)), CSV_TYPE)]
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

"""The scheduled deployments: their next run dates as Prefect's scheduler computes them, in Asia/Shanghai."""
import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from prefect.server.schemas.schedules import CronSchedule

from flows.schedules import scheduled_deployments

SHANGHAI = ZoneInfo("Asia/Shanghai")


def next_runs(deployment, start: datetime, n: int = 3) -> list[datetime]:
    """The next n run dates of the deployment's schedule, by the server's own cron logic."""
    (schedule,) = [s.schedule for s in deployment.schedules]
    server_side = CronSchedule(cron=schedule.cron, timezone=schedule.timezone, day_or=schedule.day_or)
    return [d.astimezone(SHANGHAI) for d in asyncio.run(server_side.get_dates(n=n, start=start))]


@pytest.fixture(scope="module")
def deployments():
    return {d.flow_name: d for d in scheduled_deployments()}


def test_each_schedule_is_a_cron_in_china_time(deployments):
    assert {name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone) for name, d in deployments.items()} \
        == {"daily-reminders": ("0 8 * * *", "Asia/Shanghai"), "weekly-progress": ("0 8 * * 1", "Asia/Shanghai"),
            "year-end-closeout-due": ("0 23 31 12 *", "Asia/Shanghai"),
            "audit-checkpoint": ("55 23 * * *", "Asia/Shanghai"), "evidence-sweep": ("30 3 * * *", "Asia/Shanghai")}


def test_daily_reminders_run_at_eight_in_the_morning_beijing_time(deployments):
    # 2022-11-24 09:00 in Shanghai: today's 08:00 has passed
    runs = next_runs(deployments["daily-reminders"], datetime(2022, 11, 24, 9, tzinfo=SHANGHAI))
    assert runs == [datetime(2022, 11, d, 8, tzinfo=SHANGHAI) for d in (25, 26, 27)]
    assert runs[0].astimezone(UTC) == datetime(2022, 11, 25, 0, tzinfo=UTC)  # midnight UTC, not 08:00 UTC
    # 07:59 in Shanghai is still the previous day in UTC: the run is the same morning
    early = next_runs(deployments["daily-reminders"], datetime(2022, 11, 24, 23, 59, tzinfo=UTC), n=1)
    assert early == [datetime(2022, 11, 25, 8, tzinfo=SHANGHAI)]


def test_weekly_progress_runs_monday_mornings_beijing_time(deployments):
    runs = next_runs(deployments["weekly-progress"], datetime(2022, 11, 24, 9, tzinfo=SHANGHAI))  # a Thursday
    assert runs == [datetime(2022, 11, 28, 8, tzinfo=SHANGHAI), datetime(2022, 12, 5, 8, tzinfo=SHANGHAI),
                    datetime(2022, 12, 12, 8, tzinfo=SHANGHAI)]
    assert all(r.weekday() == 0 for r in runs)
    # Sunday 2022-11-27 at 23:30 UTC is already Monday 07:30 in Shanghai: the run is half an hour later
    assert next_runs(deployments["weekly-progress"], datetime(2022, 11, 27, 23, 30, tzinfo=UTC), n=1) == [
        datetime(2022, 11, 28, 8, tzinfo=SHANGHAI)]


def test_year_end_closeout_runs_new_years_eve_at_eleven_beijing_time(deployments):
    runs = next_runs(deployments["year-end-closeout-due"], datetime(2022, 11, 24, 9, tzinfo=SHANGHAI), n=2)
    assert runs == [datetime(2022, 12, 31, 23, tzinfo=SHANGHAI), datetime(2023, 12, 31, 23, tzinfo=SHANGHAI)]
    assert runs[0].astimezone(UTC) == datetime(2022, 12, 31, 15, tzinfo=UTC)
    # 2022-12-31 15:30 UTC is already 23:30 in Shanghai: that year's run has passed
    assert next_runs(deployments["year-end-closeout-due"], datetime(2022, 12, 31, 15, 30, tzinfo=UTC), n=1) == [
        datetime(2023, 12, 31, 23, tzinfo=SHANGHAI)]


def test_every_deployment_has_its_own_name_saying_what_it_does():
    from flows.deployments import tisheng_deployments

    names = [d.name for d in tisheng_deployments()]
    assert len(names) == 7 and len(set(names)) == 7, names  # the Deployments page tells them apart by name
    # only what something starts: the five schedules and the operator's two documented on-demand runs
    assert {d.flow_name: d.name for d in tisheng_deployments() if not d.schedules} == {
        "year-end-closeout": "close-one-campaign", "verify-evidence": "check-evidence-checksums"}
    assert "tisheng" not in names
    assert {d.flow_name: d.name for d in scheduled_deployments()} == {
        "daily-reminders": "daily-0800-send-digests", "weekly-progress": "monday-0800-publish-progress",
        "year-end-closeout-due": "dec-31-2300-close-due-campaigns",
        "audit-checkpoint": "daily-2355-anchor-audit-chain", "evidence-sweep": "daily-0330-sweep-unowned-evidence"}


def test_audit_checkpoint_runs_every_night_at_five_to_midnight_beijing_time(deployments):
    runs = next_runs(deployments["audit-checkpoint"], datetime(2022, 11, 24, 9, tzinfo=SHANGHAI))
    assert runs == [datetime(2022, 11, d, 23, 55, tzinfo=SHANGHAI) for d in (24, 25, 26)]
    assert runs[0].astimezone(UTC) == datetime(2022, 11, 24, 15, 55, tzinfo=UTC)
    # 2022-11-24 16:00 UTC is already past midnight in Shanghai: the next run is that (China) day's
    assert next_runs(deployments["audit-checkpoint"], datetime(2022, 11, 24, 16, tzinfo=UTC), n=1) == [
        datetime(2022, 11, 25, 23, 55, tzinfo=SHANGHAI)]
    # the year-end closeout (23:00 Dec 31) comes before that night's checkpoint, which it writes too
    new_years_eve = next_runs(deployments["audit-checkpoint"], datetime(2022, 12, 31, 23, tzinfo=SHANGHAI), n=1)
    assert new_years_eve == [datetime(2022, 12, 31, 23, 55, tzinfo=SHANGHAI)]


def test_evidence_sweep_runs_every_night_at_half_past_three_beijing_time(deployments):
    runs = next_runs(deployments["evidence-sweep"], datetime(2022, 11, 24, 9, tzinfo=SHANGHAI))
    assert runs == [datetime(2022, 11, d, 3, 30, tzinfo=SHANGHAI) for d in (25, 26, 27)]
    assert runs[0].astimezone(UTC) == datetime(2022, 11, 24, 19, 30, tzinfo=UTC)  # the previous evening in UTC
    # 2022-11-24 19:00 UTC is 03:00 in Shanghai on the 25th: that night's run is half an hour away
    assert next_runs(deployments["evidence-sweep"], datetime(2022, 11, 24, 19, tzinfo=UTC), n=1) == [
        datetime(2022, 11, 25, 3, 30, tzinfo=SHANGHAI)]

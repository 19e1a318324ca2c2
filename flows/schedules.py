"""The scheduled deployments: cron in Asia/Shanghai, built in one place for serving and for tests."""
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.audit import audit_checkpoint
from flows.closeout import closeout_due_campaigns
from flows.evidence import evidence_sweep
from flows.progress import weekly_progress
from flows.reminders import daily_reminders

TIMEZONE = "Asia/Shanghai"
SCHEDULES = {
    "daily-reminders": "0 8 * * *",  # every day at 08:00
    "weekly-progress": "0 8 * * 1",  # Mondays at 08:00
    "year-end-closeout-due": "0 23 31 12 *",  # Dec 31 at 23:00: close the campaigns whose year has ended
    "audit-checkpoint": "55 23 * * *",  # every day at 23:55: anchor the day's audit entries in the evidence store
    "evidence-sweep": "30 3 * * *",  # every day at 03:30: delete stored versions no record or open upload owns
}
# deployment names, as the Prefect UI lists them: when (China time) and what
DEPLOYMENT_NAMES = {
    "daily-reminders": "daily-0800-send-digests",
    "weekly-progress": "monday-0800-publish-progress",
    "year-end-closeout-due": "dec-31-2300-close-due-campaigns",
    "audit-checkpoint": "daily-2355-anchor-audit-chain",
    "evidence-sweep": "daily-0330-sweep-unowned-evidence",
}


def scheduled_deployments() -> list[RunnerDeployment]:
    """Every deployment Tisheng runs on a schedule, with its cron in China's time zone."""
    return [
        flow.to_deployment(name=DEPLOYMENT_NAMES[flow.name], schedule=Cron(SCHEDULES[flow.name], timezone=TIMEZONE),
                           tags=["tisheng", "scheduled"])
        for flow in (daily_reminders, weekly_progress, closeout_due_campaigns, audit_checkpoint, evidence_sweep)
    ]

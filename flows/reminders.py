"""Flow of the daily reminder run: one digest per person, each channel its own task, failures reported."""
from dataclasses import asdict
from datetime import date, datetime

from prefect import flow, get_run_logger
from pydantic import BaseModel

from models.calendar import CAMPAIGN_TZ
from models.clock import utcnow
from models.reminders import MAX_ATTEMPTS, Channel, Urgency
from tasks.reminders import (
    ChannelFailed, collect_digests, post_webhook_digests, send_email_digests, store_in_app_digests,
)


class ReminderReport(BaseModel):
    """What a reminder run did: its day, digests built, escalations, and per channel what was sent or failed."""

    day: date
    digests: int
    escalations: int
    channels: dict[str, dict]
    failures: list[str]


@flow(name="daily-reminders", flow_run_name="daily reminders", persist_result=False)
def daily_reminders(campaign: str | None = None, as_of: datetime | None = None) -> ReminderReport:
    """Remind people of tasks due soon or overdue, tell offices of escalations; a failing channel stops no other."""
    now = as_of or utcnow()
    digests = collect_digests(campaign, now)
    senders = {Channel.EMAIL: send_email_digests, Channel.WEBHOOK: post_webhook_digests,
               Channel.IN_APP: store_in_app_digests}
    futures = {channel: send.submit(digests) for channel, send in senders.items()}
    channels, failures = {}, []
    for name, future in futures.items():
        future.wait()
        if future.state.is_completed():
            channels[name] = asdict(future.result())
        else:
            error = future.result(raise_on_failure=False)
            counts = asdict(error.report) if isinstance(error, ChannelFailed) else {}
            channels[name] = {**counts, "error": str(error)}
            failures.append(str(error))
    if failures:
        get_run_logger().warning("channel failures: %s", "; ".join(failures))
    gave_up = {name: c["gave_up"] for name, c in channels.items() if c.get("gave_up")}
    if gave_up:
        get_run_logger().warning("given up for today after %d attempts: %s", MAX_ATTEMPTS, gave_up)
    return ReminderReport(day=now.astimezone(CAMPAIGN_TZ).date(), digests=len(digests),
                          escalations=sum(1 for d in digests if d.count(Urgency.ESCALATED)),
                          channels=channels, failures=failures)

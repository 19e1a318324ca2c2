"""Tasks of the daily reminder run: build the digests, then send them over each channel, once per day."""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from prefect import get_run_logger, task
from sqlalchemy.exc import IntegrityError

from application import reminders
from infra.notify import SmtpServer, digest_mail, post_json, smtp_session
from infra.settings import get_settings
from infra.unit_of_work import committed
from models.reminders import Channel, ClaimVerdict, Digest, Urgency
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step

DIGESTS_STEP = "campaigns read"


@dataclass
class ChannelReport:
    """What one channel did with the day's digests."""

    channel: str
    sent: int = 0
    already_sent: int = 0
    in_flight: int = 0  # another run is sending them right now
    gave_up: int = 0  # failed MAX_ATTEMPTS times today
    failed: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the channel did nothing (not configured)

    def count(self, verdict: ClaimVerdict) -> None:
        """Count a digest this run did not send, by why."""
        setattr(self, str(verdict), getattr(self, str(verdict)) + 1)


class ChannelFailed(Exception):
    """Some digests could not be sent; Prefect retries the task, which re-sends only those."""

    def __init__(self, message: str, report: ChannelReport):
        super().__init__(message, report)
        self.report = report

    def __str__(self) -> str:
        return self.args[0]


@task(**TASK_DEFAULTS)
def collect_digests(campaign: str | None, now: datetime) -> list[Digest]:
    """Every person's digest for today, per campaign with open tasks (one campaign, if named)."""
    digests = committed(reminders.collect_digests, campaign, now,
                        lambda done, total: report_step(DIGESTS_STEP, done, total))
    escalated = sum(1 for d in digests if d.count(Urgency.ESCALATED))
    get_run_logger().info("%d digest(s), %d with escalations", len(digests), escalated)
    return digests


def _claim(digest: Digest, channel: Channel) -> tuple[int | None, ClaimVerdict]:
    try:
        return committed(reminders.claim_delivery, digest, channel)
    except IntegrityError:  # a concurrent run inserted the same row first
        return None, ClaimVerdict.IN_FLIGHT


def _finish(delivery_id: int, error: str | None) -> None:
    committed(reminders.finish_delivery, delivery_id, error)


def _deliver(channel: Channel, digests: list[Digest], send: Callable[[Digest], None]) -> ChannelReport:
    """Send each digest this run may claim, recording each outcome; raise ChannelFailed if any failed."""
    report = ChannelReport(channel)
    for done, digest in enumerate(digests, 1):
        delivery_id, verdict = _claim(digest, channel)
        if delivery_id is None:
            report.count(verdict)
        else:
            try:
                send(digest)
            except Exception as exc:  # any failure of the channel is recorded, never lost
                _finish(delivery_id, f"{type(exc).__name__}: {exc}")
                report.failed.append(digest.recipient.username)
            else:
                _finish(delivery_id, None)
                report.sent += 1
        report_step(channel, done, len(digests))
    if report.failed:
        raise ChannelFailed(f"{channel}: {len(report.failed)} of {len(digests)} digest(s) failed "
                            f"({', '.join(report.failed[:5])}{', …' if len(report.failed) > 5 else ''})", report)
    return report


@task(**TASK_DEFAULTS)
def send_email_digests(digests: list[Digest]) -> ChannelReport:
    """Mail each digest whose recipient has an address, over one SMTP connection."""
    settings = get_settings()
    if settings.smtp_url is None:
        return ChannelReport(Channel.EMAIL, skipped="TISHENG_SMTP_URL is not set")
    addressed = [d for d in digests if d.recipient.email]
    if not addressed:
        return ChannelReport(Channel.EMAIL, skipped="no recipient has an e-mail address")
    try:
        with smtp_session(SmtpServer.from_url(settings.smtp_url)) as client:
            report = _deliver(Channel.EMAIL, addressed,
                              lambda digest: client.send_message(digest_mail(digest, settings.mail_from)))
    except ChannelFailed:
        raise
    except Exception as exc:  # the server could not be reached: every unsent digest is recorded as failed
        report = _deliver(Channel.EMAIL, addressed, lambda digest: _raise(exc))
    if len(addressed) < len(digests):
        report.skipped = f"{len(digests) - len(addressed)} recipient(s) without an e-mail address"
    return report


def _raise(exc: Exception) -> None:
    raise exc


@task(**TASK_DEFAULTS)
def post_webhook_digests(digests: list[Digest]) -> ChannelReport:
    """POST each digest as JSON to the configured webhook."""
    url = get_settings().webhook_url
    if url is None:
        return ChannelReport(Channel.WEBHOOK, skipped="TISHENG_WEBHOOK_URL is not set")
    return _deliver(Channel.WEBHOOK, digests, lambda digest: post_json(url, digest.payload()))


@task(**TASK_DEFAULTS)
def store_in_app_digests(digests: list[Digest]) -> ChannelReport:
    """Write each digest as an in-app notification; row and ledger entry commit together."""
    report = ChannelReport(Channel.IN_APP)
    for done, digest in enumerate(digests, 1):
        try:
            delivery_id, verdict = committed(reminders.store_in_app_digest, digest)
        except IntegrityError:  # a concurrent run inserted the same ledger row first
            delivery_id, verdict = None, ClaimVerdict.IN_FLIGHT
        if delivery_id is None:
            report.count(verdict)
        else:
            report.sent += 1
        report_step(Channel.IN_APP, done, len(digests))
    return report

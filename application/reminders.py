"""The daily reminder run's steps: today's digests, and the once-a-day ledger each channel sends them through."""
from collections.abc import Callable
from datetime import datetime

from infra import reminders as store
from infra.unit_of_work import UnitOfWork
from models.reminders import Channel, ClaimVerdict, Digest, build_digests


def collect_digests(uow: UnitOfWork, campaign: str | None, now: datetime,
                    progress: Callable[[int, int], None] | None = None) -> list[Digest]:
    """Every person's digest for today, per campaign with open tasks (one campaign, if named; NotFound for an
    unknown one); `progress(done, total)` is told after each campaign (and once before the first)."""
    campaigns = store.campaigns_with_open_tasks(uow.session, campaign)
    report = progress or (lambda done, total: None)
    report(0, len(campaigns))
    digests: list[Digest] = []
    for done, (campaign_id, code, policy) in enumerate(campaigns, 1):
        found = store.campaign_tasks(uow.session, campaign_id, code, policy)
        digests += build_digests(campaign_id, code, found.tasks, now, policy.reminders, found.people,
                                 found.by_username)
        report(done, len(campaigns))
    return digests


def claim_delivery(uow: UnitOfWork, digest: Digest, channel: Channel) -> tuple[int | None, ClaimVerdict]:
    """Take today's ledger row to send a digest over a channel: its id, or (None, why not). A concurrent run's
    identical new row surfaces as IntegrityError (the caller counts it in flight)."""
    return store.claim_delivery(uow.session, digest, channel)


def finish_delivery(uow: UnitOfWork, delivery_id: int, error: str | None) -> None:
    """Record how sending a claimed digest went: sent, or failed with the error."""
    store.finish_delivery(uow.session, delivery_id, error)


def store_in_app_digest(uow: UnitOfWork, digest: Digest) -> tuple[int | None, ClaimVerdict]:
    """Write a digest as its recipient's in-app notification, with its ledger row sent in the same transaction; the
    ledger row's id, or (None, why not) when another run did or does it."""
    delivery_id, verdict = store.claim_delivery(uow.session, digest, Channel.IN_APP)
    if delivery_id is not None:
        store.add_notification(uow.session, digest)
        store.finish_delivery(uow.session, delivery_id, None)
    return delivery_id, verdict

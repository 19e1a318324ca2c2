"""Reads and writes of the reminder run: open tasks, who gets them, the ledger, in-app notifications."""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.campaign import Campaign, SchoolEnrolment
from models.clock import utcnow
from models.enums import Role, TaskStatus, UnitLevel
from models.errors import NotFound
from models.human_task import HumanTask
from models.org import Person, Unit
from models.policy import Policy
from models.reminders import (
    Channel, ClaimVerdict, DeliveryStatus, Digest, Notification, OpenTask, Recipient, ReminderDelivery, claim_verdict,
)


@dataclass(frozen=True)
class CampaignTasks:
    """A campaign's open tasks and the people they may concern."""

    campaign_id: int
    campaign: str
    policy: Policy
    tasks: list[OpenTask]
    people: dict[tuple[int, Role], list[Recipient]]
    by_username: dict[str, Recipient]


def campaigns_with_open_tasks(session: Session, campaign: str | None) -> list[tuple[int, str, Policy]]:
    """Campaigns (one, if named) that have open tasks, by code; NotFound for an unknown code."""
    query = select(Campaign).where(Campaign.id.in_(
        select(HumanTask.campaign_id).where(HumanTask.status == TaskStatus.OPEN)))
    if campaign is not None:
        if session.scalar(select(Campaign.id).where(Campaign.code == campaign)) is None:
            raise NotFound(f"campaign '{campaign}' does not exist")
        query = query.where(Campaign.code == campaign)
    return [(c.id, c.code, Policy.model_validate(c.policy)) for c in session.scalars(query.order_by(Campaign.code))]


def campaign_tasks(session: Session, campaign_id: int, code: str, policy: Policy) -> CampaignTasks:
    """Open tasks of a campaign with their unit's level and parent, and the active people of those units."""
    task_unit, school = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(HumanTask, task_unit.level, task_unit.parent_id, school.code)
        .join(task_unit, task_unit.id == HumanTask.unit_id)
        .outerjoin(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
        .outerjoin(school, school.id == SchoolEnrolment.school_id)
        .where(HumanTask.campaign_id == campaign_id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    ).all()
    tasks = [OpenTask(t.id, t.kind, t.subject, school_code, t.unit_id, UnitLevel(level), parent, Role(t.candidate_role),
                      t.claimed_by, t.due_at) for t, level, parent, school_code in rows]
    units = {t.unit_id for t in tasks} | {t.parent_unit_id for t in tasks if t.parent_unit_id is not None}
    claimers = {t.claimed_by for t in tasks if t.claimed_by}
    people: dict[tuple[int, Role], list[Recipient]] = defaultdict(list)
    by_username: dict[str, Recipient] = {}
    found = session.scalars(select(Person).where(
        Person.active.is_(True), Person.service_account.is_(False),
        Person.unit_id.in_(units) | Person.username.in_(claimers)).order_by(Person.username)).all()
    for person in found:
        recipient = Recipient(person.id, person.username, person.name, person.email)
        if person.unit_id in units:
            people[(person.unit_id, Role(person.role))].append(recipient)
        by_username[person.username] = recipient
    return CampaignTasks(campaign_id, code, policy, tasks, dict(people), by_username)


def claim_delivery(session: Session, digest: Digest, channel: Channel) -> tuple[int | None, ClaimVerdict]:
    """Take the ledger row to send a digest (a new row, a failure to retry, a stale claim); its id, or why not.

    A new row is flushed, so a concurrent run's identical row fails on the unique key (IntegrityError). An existing
    row is taken by an UPDATE conditional on the status and attempts read: every claim and every outcome changes
    one of them, so of two runs that read the same row exactly one takes it.
    """
    row = session.scalars(select(ReminderDelivery).where(
        ReminderDelivery.person_id == digest.recipient.person_id, ReminderDelivery.campaign_id == digest.campaign_id,
        ReminderDelivery.channel == channel, ReminderDelivery.day == digest.day)).first()
    now = utcnow()
    if row is None:
        row = ReminderDelivery(person_id=digest.recipient.person_id, campaign_id=digest.campaign_id, channel=channel,
                               day=digest.day, digest_hash=digest.digest_hash, status=DeliveryStatus.SENDING,
                               created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id, ClaimVerdict.CLAIM
    verdict = claim_verdict(DeliveryStatus(row.status), row.attempts, row.updated_at, now)
    if verdict != ClaimVerdict.CLAIM:
        return None, verdict
    taken = session.execute(
        update(ReminderDelivery).where(ReminderDelivery.id == row.id, ReminderDelivery.status == row.status,
                                       ReminderDelivery.attempts == row.attempts)
        .values(status=DeliveryStatus.SENDING, attempts=row.attempts + 1, digest_hash=digest.digest_hash,
                updated_at=now))
    return (row.id, verdict) if taken.rowcount == 1 else (None, ClaimVerdict.IN_FLIGHT)


def finish_delivery(session: Session, delivery_id: int, error: str | None) -> None:
    """Record how sending went: sent, or failed with the error."""
    session.execute(update(ReminderDelivery).where(ReminderDelivery.id == delivery_id).values(
        status=DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
        error=error[:500] if error else None, updated_at=utcnow()))


def add_notification(session: Session, digest: Digest) -> None:
    """The digest as an in-app notification of its recipient."""
    session.add(Notification(person_id=digest.recipient.person_id, campaign_id=digest.campaign_id, day=digest.day,
                             title=digest.title[:200], body=digest.payload()))


def notifications_of(session: Session, person_id: int, unread_only: bool, page: int, page_size: int
                     ) -> tuple[int, list[tuple[Notification, str]]]:
    """A person's notifications with their campaign codes, newest first, paged; and how many there are."""
    query = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(query.with_only_columns(func.count()).order_by(None))
    rows = session.execute(
        query.add_columns(Campaign.code).join(Campaign, Campaign.id == Notification.campaign_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).all()
    return total, [(n, code) for n, code in rows]


def mark_read(session: Session, person_id: int, notification_id: int) -> tuple[Notification, str]:
    """Mark one of the person's notifications read (once); NotFound for anyone else's."""
    row = session.execute(select(Notification, Campaign.code).join(Campaign, Campaign.id == Notification.campaign_id)
                          .where(Notification.id == notification_id, Notification.person_id == person_id)).first()
    if row is None:
        raise NotFound(f"notification {notification_id} does not exist")
    notification, code = row
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.add(notification)
    return notification, code

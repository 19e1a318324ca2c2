"""Daily reminders: which open tasks are due soon, overdue or to escalate, grouped into one digest per person.

Who is reminded of a task: the person who claimed it; an unclaimed task reminds every active user of its
candidate role in the task's unit (e.g. every group leader of the school). A task overdue longer than the
policy's escalation window is also reported to the office above the task's unit: the county office for a
school's task, the city office for a county's. A city's task goes to the city office itself (there is no
provincial office role); a province's task is not escalated.

A digest covers one person in one campaign on one day (Asia/Shanghai); the ledger (`ReminderDelivery`)
holds one row per person, campaign, channel and day, so a second run that day sends nothing again.

A run takes a row before sending and records the outcome after. A failed row is retried by later runs that day
until it has had `MAX_ATTEMPTS` tries. A row still "sending" after `SENDING_LEASE` was left by a run that died
between taking it and recording the outcome; a later run takes it over and sends again. Delivery is therefore
at least once: a run killed after the server accepted a message and before the ledger said so sends it twice.
"""
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.calendar import CAMPAIGN_TZ
from models.clock import utcnow
from models.enums import Role, UnitLevel
from models.policy import ReminderRules


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    IN_APP = "in_app"


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ClaimVerdict(StrEnum):
    """What a run may do with a digest's existing ledger row."""

    CLAIM = "claim"  # send it: a failure to retry, or a claim left by a run that died
    ALREADY_SENT = "already_sent"
    IN_FLIGHT = "in_flight"  # another run took it within the lease and is sending it
    GAVE_UP = "gave_up"  # tried MAX_ATTEMPTS times today; tomorrow's digest is a new row


SENDING_LEASE = timedelta(minutes=10)  # sending one digest takes seconds; a claim this old has lost its run
MAX_ATTEMPTS = 6  # per row: two runs' worth of a channel task's three tries (TASK_DEFAULTS: two retries)


class Urgency(StrEnum):
    DUE_SOON = "due_soon"  # 即将到期
    OVERDUE = "overdue"  # 已逾期
    ESCALATED = "escalated"  # 下级逾期，报上级工程办


class ReminderDelivery(SQLModel, table=True):
    """The ledger: one digest to one person over one channel on one day, and how sending it went."""

    __table_args__ = (UniqueConstraint("person_id", "campaign_id", "channel", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    channel: Channel = Field(sa_type=String(16))
    day: date = Field(index=True)
    digest_hash: str = Field(max_length=64)
    status: DeliveryStatus = Field(sa_type=String(16))
    attempts: int = 1
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)  # of a "sending" row: when it was claimed


class Notification(SQLModel, table=True):
    """An in-app notification of one person, read through GET /notifications."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    day: date
    title: str = Field(max_length=200)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


@dataclass(frozen=True)
class Recipient:
    """A person a digest goes to."""

    person_id: int
    username: str
    name: str
    email: str | None


@dataclass(frozen=True)
class OpenTask:
    """An open human task as the reminder run reads it, with its unit's place in the tree."""

    id: int
    kind: str
    subject: str
    school: str | None
    unit_id: int
    unit_level: UnitLevel
    parent_unit_id: int | None
    candidate_role: Role
    claimed_by: str | None
    due_at: datetime


@dataclass(frozen=True)
class DigestItem:
    """One task in a digest, and why it is there."""

    task_id: int
    kind: str
    school: str | None
    subject: str
    due_at: datetime
    urgency: Urgency
    days_overdue: int


@dataclass(frozen=True)
class Digest:
    """Everything one person is reminded of in one campaign on one day."""

    campaign_id: int
    campaign: str
    day: date
    recipient: Recipient
    items: tuple[DigestItem, ...] = field(default=())

    def count(self, urgency: Urgency) -> int:
        """How many items of this urgency the digest holds."""
        return sum(1 for item in self.items if item.urgency == urgency)

    @property
    def title(self) -> str:
        """The subject line: campaign, day and counts."""
        return (f"【提升工程2.0】{self.campaign} {self.day.isoformat()} 待办提醒：即将到期 {self.count(Urgency.DUE_SOON)} 项，"
                f"逾期 {self.count(Urgency.OVERDUE)} 项，下级逾期 {self.count(Urgency.ESCALATED)} 项")

    def payload(self) -> dict[str, Any]:
        """The digest as JSON: what the webhook posts and the in-app notification holds."""
        return {
            "type": "tisheng.reminder_digest", "campaign": self.campaign, "day": self.day.isoformat(),
            "recipient": {"username": self.recipient.username, "name": self.recipient.name,
                          "email": self.recipient.email},
            "title": self.title,
            "items": [{"task_id": i.task_id, "kind": i.kind, "school": i.school, "subject": i.subject,
                       "due_at": i.due_at.isoformat(), "urgency": str(i.urgency), "days_overdue": i.days_overdue}
                      for i in self.items],
        }

    @property
    def digest_hash(self) -> str:
        """SHA-256 of the digest's JSON, recorded in the ledger."""
        return hashlib.sha256(json.dumps(self.payload(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def text(self) -> str:
        """The plain-text body of the e-mail."""
        labels = {Urgency.DUE_SOON: "即将到期 due soon", Urgency.OVERDUE: "已逾期 overdue",
                  Urgency.ESCALATED: "下级逾期 escalated"}
        lines = [f"{self.recipient.name}，您好：", "", self.title, ""]
        for urgency in Urgency:
            items = [i for i in self.items if i.urgency == urgency]
            if items:
                lines.append(f"{labels[urgency]}:")
                lines += [f"  - #{i.task_id} {i.kind} {i.school or i.subject} 截止 "
                          f"{i.due_at.astimezone(CAMPAIGN_TZ):%Y-%m-%d %H:%M}" for i in items]
                lines.append("")
        return "\n".join(lines)


def claim_is_stale(claimed_at: datetime, now: datetime, lease: timedelta = SENDING_LEASE) -> bool:
    """True when a "sending" claim is at least a lease old: the run that took it died before recording the outcome."""
    return claimed_at <= now - lease


def claim_verdict(status: DeliveryStatus, attempts: int, claimed_at: datetime, now: datetime) -> ClaimVerdict:
    """Whether a run may take a ledger row (see the module): a failure or a stale claim until MAX_ATTEMPTS tries."""
    if status == DeliveryStatus.SENT:
        return ClaimVerdict.ALREADY_SENT
    if status == DeliveryStatus.SENDING and not claim_is_stale(claimed_at, now):
        return ClaimVerdict.IN_FLIGHT
    return ClaimVerdict.CLAIM if attempts < MAX_ATTEMPTS else ClaimVerdict.GAVE_UP


def urgency_of(due_at: datetime, now: datetime, rules: ReminderRules) -> Urgency | None:
    """Due soon (due within the warning window, or right now), overdue (due before now), or nothing yet."""
    if due_at < now:
        return Urgency.OVERDUE
    return Urgency.DUE_SOON if due_at <= now + timedelta(days=rules.warn_days) else None


def escalates(due_at: datetime, now: datetime, rules: ReminderRules) -> bool:
    """True when the task is overdue by more than the escalation window."""
    return due_at < now - timedelta(days=rules.escalate_after_days)


def escalation_office(task: OpenTask) -> tuple[int, Role] | None:
    """The unit and office role an overdue task is reported to (see the module), or None."""
    if task.unit_level == UnitLevel.SCHOOL and task.parent_unit_id is not None:
        return task.parent_unit_id, Role.COUNTY_OFFICE
    if task.unit_level == UnitLevel.COUNTY and task.parent_unit_id is not None:
        return task.parent_unit_id, Role.CITY_OFFICE
    if task.unit_level == UnitLevel.CITY and task.candidate_role != Role.CITY_OFFICE:
        return task.unit_id, Role.CITY_OFFICE
    return None


def assignees(task: OpenTask, people: Mapping[tuple[int, Role], Sequence[Recipient]],
              by_username: Mapping[str, Recipient]) -> list[Recipient]:
    """Who is reminded of a task: its claimer, else every active user of its role in its unit."""
    if task.claimed_by is not None and task.claimed_by in by_username:
        return [by_username[task.claimed_by]]
    return list(people.get((task.unit_id, task.candidate_role), ()))


def build_digests(campaign_id: int, campaign: str, tasks: Iterable[OpenTask], now: datetime, rules: ReminderRules,
                  people: Mapping[tuple[int, Role], Sequence[Recipient]],
                  by_username: Mapping[str, Recipient]) -> list[Digest]:
    """One digest per person with every task they are reminded of or that escalates to them, by due date."""
    items: dict[Recipient, list[DigestItem]] = defaultdict(list)
    for task in tasks:
        urgency = urgency_of(task.due_at, now, rules)
        if urgency is None:
            continue
        overdue_days = max(0, (now - task.due_at).days)
        for person in assignees(task, people, by_username):
            items[person].append(_item(task, urgency, overdue_days))
        office = escalation_office(task) if escalates(task.due_at, now, rules) else None
        for person in people.get(office, ()) if office else ():
            items[person].append(_item(task, Urgency.ESCALATED, overdue_days))
    day = now.astimezone(CAMPAIGN_TZ).date()
    return [Digest(campaign_id, campaign, day, person, tuple(sorted(found, key=lambda i: (i.due_at, i.task_id))))
            for person, found in sorted(items.items(), key=lambda pair: pair[0].username)]


def _item(task: OpenTask, urgency: Urgency, overdue_days: int) -> DigestItem:
    return DigestItem(task.id, task.kind, task.school, task.subject, task.due_at, urgency, overdue_days)

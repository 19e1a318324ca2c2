"""The campaign calendar: a deadline per stage and task kind, from the policy, overridden by offices per unit.

A human task's due date is `opened + policy.due_days(kind)`, cut back to the calendar's deadline when that
deadline is still ahead. A deadline that has already passed when the task opens (rework after the stage's
date) does not apply: the task gets its due days, so it is not born overdue and escalated on its first day.

The deadline for a task kind is found nearest first: the school's own unit, then its county, city and
province (an office's override), then the policy; at each place a deadline for the task kind wins over
one for the stage the task belongs to.
"""
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import SchoolState, TaskKind
from models.errors import RuleViolated
from models.lifecycle import TASK_OPENED_ON_ENTRY
from models.policy import Policy

CAMPAIGN_TZ = ZoneInfo("Asia/Shanghai")
"""Deadlines are calendar days in China: a deadline ends at midnight after it, Beijing time."""


class DeadlineScope(StrEnum):
    STAGE = "stage"
    TASK = "task"


class CalendarOverride(SQLModel, table=True):
    """An office's deadline for a stage or task kind, for its unit's subtree in one campaign."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "scope", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    scope: DeadlineScope = Field(sa_type=String(8))
    name: str = Field(max_length=32)
    deadline: date
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(default_factory=utcnow)


TASK_STAGE: dict[TaskKind, SchoolState] = {
    **{kind: state for state, kind in TASK_OPENED_ON_ENTRY.items()},
    TaskKind.SUBMISSION_GRADING: SchoolState.SCHOOL_REVIEW,
    TaskKind.PEER_REVIEW: SchoolState.TRAINING,
    TaskKind.GRADE_CONFIRMATION: SchoolState.SCHOOL_REVIEW,
    TaskKind.PRESENTER_VERIFICATION: SchoolState.COUNTY_ASSESSMENT,
}
"""The stage each task kind is worked in."""

OverrideKey = tuple[int, str, str]
"""(unit id, scope, name) of an override."""


def end_of_day(day: date) -> datetime:
    """The instant a deadline day ends: the following midnight in Asia/Shanghai, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=CAMPAIGN_TZ)


def local_day(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai of an aware instant."""
    return moment.astimezone(CAMPAIGN_TZ).date()


def checked_name(scope: DeadlineScope, name: str) -> str:
    """The stage or task kind a calendar entry names; RuleViolated for anything else."""
    known = [s.value for s in SchoolState] if scope == DeadlineScope.STAGE else [k.value for k in TaskKind]
    if name not in known:
        raise RuleViolated("calendar_entry", f"'{name}' is not a {scope}; one of {', '.join(known)}")
    return name


def check_override(policy: Policy, deadline: date) -> None:
    """An office may move a deadline, but not past the campaign's final deadline."""
    if deadline > policy.final_deadline:
        raise RuleViolated("final_deadline",
                           f"{deadline} is after the campaign's final deadline {policy.final_deadline}")


def deadline_for(policy: Policy, kind: TaskKind, chain: Sequence[int],
                 overrides: Mapping[OverrideKey, date]) -> date | None:
    """The deadline of a task kind for a school, given the school's units nearest first and the overrides."""
    stage = TASK_STAGE.get(kind)
    for unit in chain:
        for key in ((unit, DeadlineScope.TASK, kind), (unit, DeadlineScope.STAGE, stage)):
            if key in overrides:
                return overrides[key]
    return policy.deadlines.tasks.get(kind) or (policy.deadlines.stages.get(stage) if stage else None)


def due_at(opened: datetime, due_days: int, deadline: date | None) -> datetime:
    """A task's due date: its due days from opening, cut back to a deadline still ahead (see the module)."""
    by_days = opened + timedelta(days=due_days)
    if deadline is None:
        return by_days
    cut = end_of_day(deadline)
    return min(by_days, cut) if cut > opened else by_days


def effective_calendar(policy: Policy, chain: Sequence[int], overrides: Mapping[OverrideKey, date]
                       ) -> dict[str, dict[str, tuple[date, int | None]]]:
    """Every deadline in force for a unit: per scope and name, the day and the overriding unit (None: policy)."""
    result: dict[str, dict[str, tuple[date, int | None]]] = {DeadlineScope.STAGE: {}, DeadlineScope.TASK: {}}
    defaults = {DeadlineScope.STAGE: policy.deadlines.stages, DeadlineScope.TASK: policy.deadlines.tasks}
    for scope, entries in defaults.items():
        for name, day in entries.items():
            result[scope][str(name)] = (day, None)
    for unit in reversed(chain):  # farthest first, so the nearest override is written last
        for (owner, scope, name), day in overrides.items():
            if owner == unit:
                result[scope][name] = (day, unit)
    return result

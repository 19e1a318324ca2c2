"""The campaign calendar: the deadlines in force for a unit, and an office setting one for its subtree."""
from dataclasses import dataclass
from datetime import date

from infra import calendar
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.access import ancestry, is_office, within
from models.calendar import DeadlineScope, check_override, checked_name, effective_calendar
from models.campaign import Campaign
from models.closeout import refuse_if_closed
from models.errors import NotFound, OutOfScope
from models.org import Principal, Unit
from models.policy import Policy

Deadlines = dict[str, tuple[date, str | None]]
"""Per stage or task kind: the deadline in force and the code of the unit whose office set it (None: the policy)."""


@dataclass(frozen=True)
class UnitCalendar:
    """The deadlines in force for a unit of a campaign: per stage and per task kind."""

    campaign: str
    unit: str
    stages: Deadlines
    tasks: Deadlines


@dataclass(frozen=True)
class DeadlineSet:
    """The override stored, and how many open tasks got a new due date."""

    campaign: str
    unit: str
    scope: DeadlineScope
    name: str
    deadline: date
    tasks_redated: int


def _campaign_unit(uow: UnitOfWork, user: Principal, campaign: str, unit_code: str | None
                   ) -> tuple[Campaign, Unit, dict]:
    """The campaign, the unit asked for (default: the caller's) and the unit tree's parents; NotFound for an unknown
    unit, OutOfScope for one on another branch than the campaign's region."""
    session = uow.session
    row = repo.campaign_by_code(session, campaign)
    code = unit_code or session.get(Unit, user.unit_id).code
    unit = calendar.unit_by_code(session, code)
    if unit is None:
        raise NotFound(f"unit '{code}' does not exist")
    parents = repo.unit_parents(session)
    if not within(row.region_unit_id, unit.id, parents) and not within(unit.id, row.region_unit_id, parents):
        raise OutOfScope(f"unit '{code}' is outside campaign '{campaign}'")
    return row, unit, parents


def read_calendar(uow: UnitOfWork, user: Principal, campaign: str, unit_code: str | None) -> UnitCalendar:
    """The deadlines in force for a unit inside the caller's (default: the caller's own unit)."""
    row, target, parents = _campaign_unit(uow, user, campaign, unit_code)
    if not within(user.unit_id, target.id, parents):
        raise OutOfScope(f"unit '{target.code}' is outside your unit")
    codes = calendar.unit_codes(uow.session)
    entries = effective_calendar(Policy.model_validate(row.policy), ancestry(target.id, parents),
                                 calendar.overrides(uow.session, row.id))
    found = {scope: {name: (day, codes.get(owner) if owner else None) for name, (day, owner) in sorted(days.items())}
             for scope, days in entries.items()}
    return UnitCalendar(row.code, target.code, found[DeadlineScope.STAGE], found[DeadlineScope.TASK])


def set_deadline(uow: UnitOfWork, user: Principal, campaign: str, unit_code: str, scope: DeadlineScope, name: str,
                 deadline: date) -> DeadlineSet:
    """An office sets a stage's or task kind's deadline for a unit in its subtree; the open tasks it governs are
    re-dated. A closed campaign refuses. Two offices storing the same entry at once: the loser's IntegrityError is
    retried by application.concurrency.commit_with_retry (and then updates the winner's row)."""
    row, target, parents = _campaign_unit(uow, user, campaign, unit_code)
    if not is_office(user.role):
        raise OutOfScope("only a project office (工程办) sets deadlines")
    if not within(user.unit_id, target.id, parents):
        raise OutOfScope(f"unit '{target.code}' is outside your unit")
    refuse_if_closed(row.code, row.status, row.closed_at)
    policy = Policy.model_validate(row.policy)
    checked_name(scope, name)
    check_override(policy, deadline)
    moved = calendar.set_override(uow.session, row.id, policy, target.id, scope, name, deadline, user.username)
    return DeadlineSet(row.code, target.code, scope, name, deadline, moved)

"""The caller's in-app notifications, and the campaign calendar an office sets deadlines in."""
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import CurrentUser, SessionDep
from api.problems import error_responses
from infra import calendar, reminders
from infra import repository as repo
from infra.inbox import OFFICE_ROLES
from models.calendar import DeadlineScope, check_override, checked_name, effective_calendar
from models.closeout import refuse_if_closed
from models.errors import NotFound, OutOfScope
from models.org import Unit
from models.policy import Policy
from models.access import ancestry, within

router = APIRouter(responses=error_responses(401, 403, 404, 422))
NotificationId = Annotated[int, Path(ge=1, le=2**31 - 1)]
UnitCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]


class NotificationView(BaseModel):
    """One in-app notification: a reminder digest, with its tasks in `body.items`."""

    id: int
    campaign: str
    day: date
    title: str
    body: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    """One page of the caller's notifications, newest first."""

    total: int
    page: int
    page_size: int
    items: list[NotificationView]


def _view(row, campaign: str) -> NotificationView:
    return NotificationView(id=row.id, campaign=campaign, day=row.day, title=row.title, body=row.body,
                            created_at=row.created_at, read_at=row.read_at)


@router.get("/notifications", response_model=NotificationPage, tags=["notifications"])
def list_notifications(session: SessionDep, user: CurrentUser, unread: bool = False,
                       page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                       page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> NotificationPage:
    """The caller's own notifications (only unread ones if asked), newest first."""
    total, rows = reminders.notifications_of(session, user.id, unread, page, page_size)
    return NotificationPage(total=total, page=page, page_size=page_size, items=[_view(n, c) for n, c in rows])


@router.post("/notifications/{notification_id}/read", response_model=NotificationView, tags=["notifications"])
def read_notification(notification_id: NotificationId, session: SessionDep, user: CurrentUser) -> NotificationView:
    """Mark one of the caller's notifications read; anyone else's is 404."""
    notification, campaign = reminders.mark_read(session, user.id, notification_id)
    view = _view(notification, campaign)
    session.commit()
    return view


class Deadline(BaseModel):
    """A deadline in force: the day, and the unit whose office set it (null: the campaign's policy)."""

    deadline: date
    set_by_unit: str | None


class CalendarView(BaseModel):
    """The deadlines in force for a unit: per stage and per task kind."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "campaign": "demo-yanzhou-2022-s2022", "unit": "DEMO-C1-X1",
        "stages": {"school_review": {"deadline": "2022-11-20", "set_by_unit": "DEMO-C1-X1"}},
        "tasks": {"province_audit": {"deadline": "2022-12-31", "set_by_unit": None}}}]})
    campaign: str
    unit: str
    stages: dict[str, Deadline]
    tasks: dict[str, Deadline]


class DeadlineChange(BaseModel):
    """The new deadline (a calendar day, Asia/Shanghai) for the unit's subtree."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"deadline": "2022-11-20"}]})
    deadline: date = Field(ge=date(1970, 1, 1))


class DeadlineSet(BaseModel):
    """The override stored, and how many open tasks got a new due date."""

    campaign: str
    unit: str
    scope: DeadlineScope
    name: str
    deadline: date
    tasks_redated: int


def _campaign_unit(session, user, campaign: str, unit_code: str | None):
    row = repo.campaign_by_code(session, campaign)
    code = unit_code or session.get(Unit, user.unit_id).code
    unit = session.scalars(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFound(f"unit '{code}' does not exist")
    parents = repo.unit_parents(session)
    if not within(row.region_unit_id, unit.id, parents) and not within(unit.id, row.region_unit_id, parents):
        raise OutOfScope(f"unit '{code}' is outside campaign '{campaign}'")
    return row, unit, parents


def _calendar_view(session, row, unit, parents) -> CalendarView:
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    entries = effective_calendar(Policy.model_validate(row.policy), ancestry(unit.id, parents),
                                 calendar.overrides(session, row.id))
    views = {scope: {name: Deadline(deadline=day, set_by_unit=codes.get(owner) if owner else None)
                     for name, (day, owner) in sorted(found.items())} for scope, found in entries.items()}
    return CalendarView(campaign=row.code, unit=unit.code, stages=views[DeadlineScope.STAGE],
                        tasks=views[DeadlineScope.TASK])


@router.get("/campaigns/{campaign}/calendar", response_model=CalendarView, tags=["calendar"])
def get_calendar(campaign: str, session: SessionDep, user: CurrentUser,
                 unit: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]+$")] = None) -> CalendarView:
    """The deadlines in force for a unit inside the caller's (default: the caller's own unit)."""
    row, target, parents = _campaign_unit(session, user, campaign, unit)
    if not within(user.unit_id, target.id, parents):
        raise OutOfScope(f"unit '{target.code}' is outside your unit")
    return _calendar_view(session, row, target, parents)


@router.put("/campaigns/{campaign}/calendar/{unit}/{scope}/{name}", response_model=DeadlineSet, tags=["calendar"],
            responses=error_responses(400, 409))
def set_deadline(campaign: str, unit: UnitCode, scope: DeadlineScope, name: Annotated[str, Path(max_length=32)],
                 body: DeadlineChange, session: SessionDep, user: CurrentUser) -> DeadlineSet:
    """An office sets a stage's or task kind's deadline for a unit in its subtree (a county office: its county);
    open tasks it governs are re-dated. A closed campaign refuses (409)."""
    row, target, parents = _campaign_unit(session, user, campaign, unit)
    if user.role not in OFFICE_ROLES:
        raise OutOfScope("only a project office (工程办) sets deadlines")
    if not within(user.unit_id, target.id, parents):
        raise OutOfScope(f"unit '{target.code}' is outside your unit")
    refuse_if_closed(row.code, row.status, row.closed_at)
    policy = Policy.model_validate(row.policy)
    checked_name(scope, name)
    check_override(policy, body.deadline)
    try:
        moved = calendar.set_override(session, row.id, policy, target.id, scope, name, body.deadline, user.username)
    except IntegrityError:  # another office user stored the same entry a moment ago: update theirs
        session.rollback()
        moved = calendar.set_override(session, row.id, policy, target.id, scope, name, body.deadline, user.username)
    session.commit()
    return DeadlineSet(campaign=row.code, unit=target.code, scope=scope, name=name, deadline=body.deadline,
                       tasks_redated=moved)

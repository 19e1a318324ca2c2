"""The caller's in-app notifications, and the campaign calendar an office sets deadlines in."""
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from application import calendar, notifications
from application.concurrency import commit_with_retry
from models.calendar import DeadlineScope

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
def list_notifications(uow: UowDep, user: CurrentUser, unread: bool = False,
                       page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                       page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> NotificationPage:
    """The caller's own notifications (only unread ones if asked), newest first."""
    total, rows = notifications.list_notifications(uow, user, unread, page, page_size)
    return NotificationPage(total=total, page=page, page_size=page_size, items=[_view(n, c) for n, c in rows])


@router.post("/notifications/{notification_id}/read", response_model=NotificationView, tags=["notifications"])
def read_notification(notification_id: NotificationId, uow: UowDep, user: CurrentUser) -> NotificationView:
    """Mark one of the caller's notifications read; anyone else's is 404."""
    view = _view(*notifications.mark_notification_read(uow, user, notification_id))
    uow.commit()
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


def _deadlines(found: calendar.Deadlines) -> dict[str, Deadline]:
    return {name: Deadline(deadline=day, set_by_unit=owner) for name, (day, owner) in found.items()}


@router.get("/campaigns/{campaign}/calendar", response_model=CalendarView, tags=["calendar"])
def get_calendar(campaign: str, uow: UowDep, user: CurrentUser,
                 unit: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]+$")] = None) -> CalendarView:
    """The deadlines in force for a unit inside the caller's (default: the caller's own unit)."""
    found = calendar.read_calendar(uow, user, campaign, unit)
    return CalendarView(campaign=found.campaign, unit=found.unit, stages=_deadlines(found.stages),
                        tasks=_deadlines(found.tasks))


@router.put("/campaigns/{campaign}/calendar/{unit}/{scope}/{name}", response_model=DeadlineSet, tags=["calendar"],
            responses=error_responses(400, 409))
def set_deadline(campaign: str, unit: UnitCode, scope: DeadlineScope, name: Annotated[str, Path(max_length=32)],
                 body: DeadlineChange, uow: UowDep, user: CurrentUser) -> DeadlineSet:
    """An office sets a stage's or task kind's deadline for a unit in its subtree (a county office: its county);
    open tasks it governs are re-dated. A closed campaign refuses (409)."""
    done = commit_with_retry(uow, calendar.set_deadline, user, campaign, unit, scope, name, body.deadline,
                             attempts=2)  # another office stored the same entry a moment ago: update theirs
    return DeadlineSet(campaign=done.campaign, unit=done.unit, scope=done.scope, name=done.name,
                       deadline=done.deadline, tasks_redated=done.tasks_redated)

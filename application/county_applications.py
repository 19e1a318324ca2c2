"""What the county expert reads beside the scoring table: the school's application — its 自查得分 and reports."""
from dataclasses import dataclass
from datetime import datetime

from infra import plan_filings as rows
from infra import task_views
from infra.unit_of_work import UnitOfWork
from models.enums import SchoolEvent, TaskKind
from models.org import Principal


@dataclass(frozen=True)
class SchoolApplication:
    """The school's latest application for the county's assessment."""

    applied_at: datetime
    applied_by: str
    self_scores: dict[str, float] | None
    reports: dict[str, int]


def task_application(uow: UnitOfWork, user: Principal, task_id: int) -> SchoolApplication | None:
    """For a county_assessment_scoring task the caller may see: the school's latest application; None for other
    tasks or a school that never applied (NotFound as read_task)."""
    task = task_views.visible_task(uow.session, user, task_id)
    if task.kind != TaskKind.COUNTY_ASSESSMENT_SCORING or task.school_enrolment_id is None:
        return None
    entry = rows.latest_school_entry(uow.session, task.school_enrolment_id, SchoolEvent.APPLY_FOR_COUNTY_ASSESSMENT)
    if entry is None:
        return None
    return SchoolApplication(entry.created_at, entry.actor, entry.payload.get("self_scores"),
                             dict(entry.payload.get("reports") or {}))

"""What a plan task shows its reviewer: the plan under review with its three documents, and the plans filed before
it (a returned plan keeps its documents for comparison)."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infra import plan_filings as rows
from infra import task_views
from infra.unit_of_work import UnitOfWork
from models.enums import TaskKind
from models.evidence import Evidence
from models.org import Principal
from models.plan import PLAN_FILES, plan_file_ids

PLAN_TASKS = frozenset({TaskKind.PLAN_REVIEW, TaskKind.PLAN_REVISION})


@dataclass(frozen=True)
class PlanDocument:
    """One of a plan's documents: its field, title and evidence record."""

    field: str
    title: str
    evidence: Evidence


@dataclass(frozen=True)
class PlanFiling:
    """One filing of a school's plan: when and by whom, the plan as filed, and its documents."""

    filed_at: datetime
    filed_by: str
    plan: dict[str, Any]
    documents: list[PlanDocument]


def task_plans(uow: UnitOfWork, user: Principal, task_id: int) -> list[PlanFiling]:
    """The plans a plan_review or plan_revision task's school filed, newest first (none for other tasks); NotFound
    for a task the caller may not see."""
    task = task_views.visible_task(uow.session, user, task_id)
    if task.kind not in PLAN_TASKS or task.school_enrolment_id is None:
        return []
    entries = rows.filed_plans(uow.session, task.school_enrolment_id)
    plans = [dict(e.payload.get("plan") or {}) for e in entries]
    files = rows.evidence_by_id(uow.session, (i for p in plans for i in plan_file_ids(p).values()))
    return [PlanFiling(entry.created_at, entry.actor, plan, [
        PlanDocument(field, PLAN_FILES[field], files[evidence_id])
        for field, evidence_id in plan_file_ids(plan).items() if evidence_id in files])
        for entry, plan in reversed(list(zip(entries, plans)))]

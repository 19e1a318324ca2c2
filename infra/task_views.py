"""Reading tasks: the one rule of who sees a task, and the inbox listing and single read built on it."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.enums import TaskKind, TaskStatus, UnitLevel
from models.errors import NotFound
from models.human_task import HumanTask
from models.org import Person, Principal, Unit
from models.access import OFFICE_ROLES


@dataclass(frozen=True)
class TaskFilter:
    """What an inbox listing asks for."""

    campaign: str | None = None
    kind: str | None = None
    status: str | None = TaskStatus.OPEN
    unit: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    descending: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class TaskRow:
    """A task with the names a reviewer reads it by: its school, unit, and (a submission's) teacher and
    micro-ability; each a (code or username, name) pair, None where the task has none."""

    task: HumanTask
    school: tuple[str, str] | None
    unit: tuple[str, str]
    teacher: tuple[str, str] | None
    micro_ability: tuple[str, str] | None


def in_subtree(unit_column: ColumnElement, top: ColumnElement) -> ColumnElement[bool]:
    """The subtree rule `models.access.within` as SQL: true where the unit in `unit_column` is `top` or lies below it,
    i.e. its ancestry (itself and at most one unit per level above: province → city → county → school) contains `top`.
    A correlated EXISTS over primary keys, so one row costs a few index lookups and a whole listing becomes one
    semi-join; the Python form (`repository.in_subtree`) calls `within` itself."""
    chain = [aliased(Unit) for _ in UnitLevel]
    ancestry = select(literal(1)).select_from(chain[0])
    for lower, upper in zip(chain, chain[1:]):
        ancestry = ancestry.outerjoin(upper, upper.id == lower.parent_id)
    return exists(ancestry.where(chain[0].id == unit_column, or_(*(unit.id == top for unit in chain))))


def task_visible(viewer_unit: ColumnElement, viewer_role: ColumnElement,
                 viewer_username: ColumnElement) -> ColumnElement[bool]:
    """The one rule every task read follows (listing, single read, decision status, actions): the task lies in the
    viewer's subtree, and is for the viewer's role unless the viewer is a project office; a peer review only for the
    teacher it is assigned to."""
    return and_(in_subtree(HumanTask.unit_id, viewer_unit),
                or_(viewer_role.in_(sorted(OFFICE_ROLES)),
                    and_(HumanTask.candidate_role == viewer_role,
                         or_(HumanTask.kind != TaskKind.PEER_REVIEW, HumanTask.claimed_by == viewer_username))))


def visible_to(user: Principal) -> ColumnElement[bool]:
    """task_visible for this principal."""
    return task_visible(literal(user.unit_id, Integer), literal(str(user.role), String),
                        literal(user.username, String))


def visible_task(session: Session, user: Principal, task_id: int) -> HumanTask:
    """The task, if the user may see it; NotFound alike for a task that does not exist and one they may not see."""
    task = session.scalars(select(HumanTask).where(HumanTask.id == task_id, visible_to(user))).first()
    if task is None:
        raise NotFound(f"task {task_id} does not exist or is not yours to see")
    return task


def visible_tasks(session: Session, user: Principal, wanted: TaskFilter) -> tuple[int, list[TaskRow]]:
    """Tasks the user may see, filtered, by due date, paged: one count and one page query (names joined in)."""
    query = select(HumanTask.id).where(visible_to(user))
    if wanted.campaign:
        query = query.join(Campaign, Campaign.id == HumanTask.campaign_id).where(Campaign.code == wanted.campaign)
    if wanted.kind:
        query = query.where(HumanTask.kind == wanted.kind)
    if wanted.status:
        query = query.where(HumanTask.status == wanted.status)
    if wanted.unit:
        unit = session.scalar(select(Unit.id).where(Unit.code == wanted.unit))
        if unit is None:
            raise NotFound(f"unit '{wanted.unit}' does not exist")
        query = query.where(in_subtree(HumanTask.unit_id, literal(unit, Integer)))
    if wanted.due_before:
        query = query.where(HumanTask.due_at < wanted.due_before)
    if wanted.due_after:
        query = query.where(HumanTask.due_at >= wanted.due_after)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    order = HumanTask.due_at.desc() if wanted.descending else HumanTask.due_at.asc()
    page = query.order_by(order, HumanTask.id).offset((wanted.page - 1) * wanted.page_size).limit(wanted.page_size)
    return total, task_rows(session, page.subquery(), [order, HumanTask.id])


def visible_task_row(session: Session, user: Principal, task_id: int) -> TaskRow:
    """One task the user may see, with its names; NotFound as visible_task."""
    rows = task_rows(session, select(HumanTask.id).where(HumanTask.id == task_id, visible_to(user)).subquery())
    if not rows:
        raise NotFound(f"task {task_id} does not exist or is not yours to see")
    return rows[0]


def task_rows(session: Session, ids, order=(HumanTask.id,)) -> list[TaskRow]:
    """The tasks whose ids the subquery yields, with their names, in one query."""
    school, unit = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(HumanTask, school.code, school.name, unit.code, unit.name, Person.username, Person.name,
               MicroAbility.code, MicroAbility.name)
        .join(ids, ids.c.id == HumanTask.id)
        .join(unit, unit.id == HumanTask.unit_id)
        .outerjoin(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
        .outerjoin(school, school.id == SchoolEnrolment.school_id)
        .outerjoin(Submission, Submission.id == HumanTask.submission_id)
        .outerjoin(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .outerjoin(Person, Person.id == TeacherEnrolment.teacher_id)
        .outerjoin(MicroAbility, MicroAbility.id == Submission.micro_ability_id)
        .order_by(*order)).all()
    return [TaskRow(task, (s_code, s_name) if s_code else None, (u_code, u_name),
                    (t_user, t_name) if t_user else None, (m_code, m_name) if m_code else None)
            for task, s_code, s_name, u_code, u_name, t_user, t_name, m_code, m_name in rows]

"""The enrolled schools of a campaign as the caller may see them: their open tasks, progress and history."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra.task_views import in_subtree, visible_to
from models.audit import AuditEntry
from models.campaign import Campaign, SchoolEnrolment, TeacherEnrolment
from models.enums import TaskStatus, UnitLevel
from models.errors import NotFound, OutOfScope
from models.human_task import HumanTask
from models.org import Principal, Unit
from models.access import within


@dataclass(frozen=True)
class SchoolRow:
    """One enrolled school: codes and names of it and its county, where it stands, its open tasks (id, kind)."""

    code: str
    name: str
    county_code: str
    county_name: str
    state: str
    version: int
    open_tasks: list[tuple[int, str]]


def campaign_schools(session: Session, user: Principal, campaign: Campaign, parents: dict, state: str | None,
                     unit_code: str | None, page: int, page_size: int) -> tuple[int, list[SchoolRow]]:
    """The campaign's schools inside the caller's unit (optionally under one unit, in one state), by code, paged;
    each with the open tasks the caller's inbox shows. Three queries, whatever the page size."""
    school, county = aliased(Unit), aliased(Unit)
    query = (select(SchoolEnrolment.id).join(school, school.id == SchoolEnrolment.school_id)
             .where(SchoolEnrolment.campaign_id == campaign.id,
                    in_subtree(SchoolEnrolment.school_id, literal(user.unit_id, Integer))))
    if state:
        query = query.where(SchoolEnrolment.state == state)
    if unit_code:
        unit = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        if unit is None:
            raise NotFound(f"unit '{unit_code}' does not exist")
        if not within(user.unit_id, unit, parents):
            raise OutOfScope(f"unit '{unit_code}' is outside your unit")
        query = query.where(in_subtree(SchoolEnrolment.school_id, literal(unit, Integer)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    ids = query.order_by(school.code).offset((page - 1) * page_size).limit(page_size).subquery()
    rows = session.execute(
        select(SchoolEnrolment.id, school.code, school.name, county.code, county.name, SchoolEnrolment.state,
               SchoolEnrolment.version)
        .join(ids, ids.c.id == SchoolEnrolment.id).join(school, school.id == SchoolEnrolment.school_id)
        .join(county, county.id == school.parent_id).order_by(school.code)).all()
    tasks: dict[int, list[tuple[int, str]]] = {}
    for task_id, kind, enrolment in session.execute(
            select(HumanTask.id, HumanTask.kind, HumanTask.school_enrolment_id)
            .where(HumanTask.school_enrolment_id.in_([r[0] for r in rows]), HumanTask.status == TaskStatus.OPEN,
                   visible_to(user)).order_by(HumanTask.id)):
        tasks.setdefault(enrolment, []).append((task_id, kind))
    return total, [SchoolRow(code, name, c_code, c_name, st, version, tasks.get(enrolment, []))
                   for enrolment, code, name, c_code, c_name, st, version in rows]



@dataclass(frozen=True)
class ProgressFacts:
    """A campaign's schools (enrolment, school unit, state), its overdue open tasks' enrolments, and its teachers'
    (enrolment, result)."""

    schools: list[tuple[int, int, str]]
    overdue: list[int | None]
    results: list[tuple[int, str | None]]


def progress_facts(session: Session, campaign_id: int, now: datetime) -> ProgressFacts:
    """What the progress counts are made of, for the whole campaign (the caller keeps the schools in reach)."""
    schools = session.execute(select(SchoolEnrolment.id, SchoolEnrolment.school_id, SchoolEnrolment.state)
                              .where(SchoolEnrolment.campaign_id == campaign_id)).all()
    overdue = session.scalars(select(HumanTask.school_enrolment_id).where(
        HumanTask.campaign_id == campaign_id, HumanTask.status == TaskStatus.OPEN, HumanTask.due_at < now)).all()
    results = session.execute(select(TeacherEnrolment.school_enrolment_id, TeacherEnrolment.result)
                              .where(TeacherEnrolment.campaign_id == campaign_id,
                                     TeacherEnrolment.withdrawn_at.is_(None))).all()
    return ProgressFacts([tuple(r) for r in schools], list(overdue), [tuple(r) for r in results])


def school_audit_entries(session: Session, enrolment_id: int) -> list[AuditEntry]:
    """Every audit entry of a school enrolment, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.school_enrolment_id == enrolment_id)
                                .order_by(AuditEntry.id)).all())


def school_unit_ids(session: Session) -> list[int]:
    """Every school-level unit (the denominator of a phasing target; the caller keeps the region's)."""
    return list(session.scalars(select(Unit.id).where(Unit.level == UnitLevel.SCHOOL)).all())

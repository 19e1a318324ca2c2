"""Queries of the weekly progress table: campaign codes, each school's state by county, overdue tasks by county."""
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.campaign import Campaign, SchoolEnrolment
from models.enums import TaskStatus
from models.human_task import HumanTask
from models.org import Unit


def campaign_codes(session: Session) -> list[str]:
    """Every campaign's code, in code order."""
    return list(session.scalars(select(Campaign.code).order_by(Campaign.code)).all())


def school_states_by_county(session: Session, campaign_id: int) -> list[tuple[str, str, str]]:
    """(county code, county name, school state) of every school enrolled in the campaign."""
    school, county = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(county.code, county.name, SchoolEnrolment.state).select_from(SchoolEnrolment)
        .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
        .where(SchoolEnrolment.campaign_id == campaign_id)).all()
    return [(code, name, str(state)) for code, name, state in rows]


def school_units_by_county(session: Session, counties: Sequence[str]) -> dict[str, int]:
    """How many school units each of these counties has (enrolled or not): what a phasing share is out of."""
    county, school = aliased(Unit), aliased(Unit)
    return dict(session.execute(
        select(county.code, func.count(school.id)).select_from(county).join(school, school.parent_id == county.id)
        .where(county.code.in_(list(counties))).group_by(county.code)).all())


def overdue_task_counties(session: Session, campaign_id: int, now: datetime) -> list[str]:
    """The county code of each open task of the campaign past its due date (one entry per task)."""
    school, county = aliased(Unit), aliased(Unit)
    return list(session.scalars(
        select(county.code).select_from(HumanTask)
        .join(SchoolEnrolment, SchoolEnrolment.id == HumanTask.school_enrolment_id)
        .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
        .where(HumanTask.campaign_id == campaign_id, HumanTask.status == TaskStatus.OPEN,
               HumanTask.due_at < now)).all())

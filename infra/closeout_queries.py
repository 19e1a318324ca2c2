"""Set-based SQL of the year-end closeout: per-school figures in one aggregate, carry-over as INSERT … SELECT."""
from datetime import datetime

from sqlalchemy import and_, case, exists, func, insert, literal, null, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from infra.school_moves import SchoolMove, move_schools
from models.campaign import Campaign, HourRecord, MicroAbility, SchoolEnrolment, TeacherEnrolment
from models.closeout import (
    CLOSE_OUT_REASON, PASSING_RESULTS, ClosedOut, Figures, HourThresholds, SchoolFigures, Summary, UnitRef,
    close_out_key, closed_out_state, hour_thresholds, roll_up,
)
from models.enums import TERMINAL_STATES, CampaignStatus, SchoolEvent, SchoolState
from models.org import Unit
from models.policy import Policy

TE = TeacherEnrolment
COUNT_ROWS = {"preserve_rowcount": True}  # psycopg reports no INSERT … SELECT rowcount otherwise


def _hours_met(t: HourThresholds):
    return and_(TE.online_hours >= t.online_min, TE.practice_hours >= t.practice_min,
                TE.online_hours + TE.practice_hours >= t.total_min)


def _assessment_passed():
    return and_(TE.result.is_not(None), TE.result.in_(PASSING_RESULTS))  # never NULL, so ~ negates it


def _passed(t: HourThresholds):
    return and_(_assessment_passed(), _hours_met(t))


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def school_figures(session: Session, campaign_id: int, t: HourThresholds) -> list[SchoolFigures]:
    """Every enrolled school's counts, with its county, city and province, from one GROUP BY over teachers."""
    per_school = (
        select(TE.school_enrolment_id.label("enrolment_id"), func.count().label("teachers"),
               _count_if(_passed(t)).label("passed"), _count_if(_hours_met(t)).label("hours_passed"),
               _count_if(_assessment_passed()).label("assessment_passed"),
               _count_if(TE.practice_hours >= t.practice_min).label("practice_done"))
        .where(TE.campaign_id == campaign_id, TE.withdrawn_at.is_(None)).group_by(TE.school_enrolment_id).subquery())
    school, county, city, province = (aliased(Unit) for _ in range(4))
    counts = [func.coalesce(c, 0) for c in (per_school.c.teachers, per_school.c.passed, per_school.c.hours_passed,
                                           per_school.c.assessment_passed, per_school.c.practice_done)]
    rows = session.execute(
        select(school.code, school.name, county.code, county.name, city.code, city.name, province.code,
               province.name, SchoolEnrolment.state, *counts)
        .select_from(SchoolEnrolment)
        .join(school, school.id == SchoolEnrolment.school_id)
        .join(county, county.id == school.parent_id)
        .join(city, city.id == county.parent_id)
        .join(province, province.id == city.parent_id)
        .outerjoin(per_school, per_school.c.enrolment_id == SchoolEnrolment.id)
        .where(SchoolEnrolment.campaign_id == campaign_id)
    ).all()
    return [SchoolFigures(UnitRef(r[0], r[1]), UnitRef(r[2], r[3]), UnitRef(r[4], r[5]), UnitRef(r[6], r[7]),
                          Figures(*(int(v) for v in r[9:])), str(r[8])) for r in rows]


def campaign_figures(session: Session, campaign: Campaign) -> list[SchoolFigures]:
    """Every school's figures under the campaign's own policy."""
    return school_figures(session, campaign.id, hour_thresholds(Policy.model_validate(campaign.policy).hours))


def open_campaign_deadlines(session: Session) -> list[tuple[str, str]]:
    """Every open campaign's code and its policy's final deadline (ISO date), by code."""
    rows = session.execute(select(Campaign.code, Campaign.policy).where(
        Campaign.status == CampaignStatus.OPEN).order_by(Campaign.code)).all()
    return [(code, str(policy["final_deadline"])) for code, policy in rows]


def campaign_summary(session: Session, campaign: Campaign) -> Summary:
    """003 附件2 of a campaign as its data stand: every school's figures, rolled up to county, city and province."""
    return roll_up(campaign_figures(session, campaign))


def freeze(session: Session, campaign_id: int, now: datetime) -> datetime:
    """Mark the campaign closed; the first closing time stays (re-runs keep it)."""
    session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.closed_at.is_(None))
                    .values(status=CampaignStatus.CLOSED, closed_at=now))
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(status=CampaignStatus.CLOSED))
    return session.scalar(select(Campaign.closed_at).where(Campaign.id == campaign_id))


def _live(campaign_id: int):
    return SchoolEnrolment.campaign_id == campaign_id, SchoolEnrolment.state.not_in(list(TERMINAL_STATES))


def count_live_schools(session: Session, campaign_id: int) -> int:
    """How many of the campaign's schools are not yet in an end state."""
    return session.scalar(select(func.count()).select_from(SchoolEnrolment).where(*_live(campaign_id)))


def close_out_batch(session: Session, campaign_id: int, campaign: str, actor: str, flow_run_id: str | None,
                    now: datetime, limit: int) -> list[ClosedOut]:
    """Close out up to `limit` live schools in one transaction through the one writer of moves, as the lifecycle's
    close_out would one by one: state and version moved, every open task of theirs cancelled, one audit entry each
    (command key per school)."""
    school, county = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(SchoolEnrolment.id, SchoolEnrolment.version, SchoolEnrolment.state, school.code, county.code)
        .join(school, school.id == SchoolEnrolment.school_id).join(county, county.id == school.parent_id)
        .where(*_live(campaign_id)).order_by(SchoolEnrolment.id).limit(limit)
        .with_for_update(of=SchoolEnrolment)).all()
    moves = [SchoolMove(enrolment_id=eid, campaign_id=campaign_id, school=code, event=SchoolEvent.CLOSE_OUT,
                        from_state=SchoolState(state), to_state=closed_out_state(state), version=version, actor=actor,
                        command_key=close_out_key(campaign, code), payload={"reason": CLOSE_OUT_REASON})
             for eid, version, state, code, _ in rows]
    entries = move_schools(session, moves, now, flow_run_id, closing_campaign=True)
    return [ClosedOut(row[4], move.school, str(move.from_state), str(move.to_state), move.version + 1, entry.id)
            for row, move, entry in zip(rows, moves, entries, strict=True)]


def ensure_next_campaign(session: Session, current: Campaign, code: str) -> Campaign:
    """The campaign unfinished teachers carry over to: found by code, or created with the catalog and the policy
    moved one year on (its deadlines too, so next year's run does not find it due at once)."""
    found = session.scalars(select(Campaign).where(Campaign.code == code)).first()
    if found is not None:
        return found
    following = Campaign(code=code, year=current.year + 1, region_unit_id=current.region_unit_id,
                         policy_name=current.policy_name,
                         policy=Policy.model_validate(current.policy).next_year().model_dump(mode="json"))
    session.add(following)
    session.flush()
    session.execute(insert(MicroAbility).from_select(
        ["campaign_id", "code", "name", "environment", "dimension", "evidence_items", "confirmed"],
        select(literal(following.id), MicroAbility.code, MicroAbility.name, MicroAbility.environment,
               MicroAbility.dimension, MicroAbility.evidence_items, MicroAbility.confirmed)
        .where(MicroAbility.campaign_id == current.id)))
    return following


def carry_over(session: Session, current_id: int, next_id: int, t: HourThresholds, now: datetime) -> dict[str, int]:
    """Enrol the incomplete schools' not-passed teachers (with their choices, hours and hour records) in the next
    campaign, and their schools afresh; rows already there are left alone, so a re-run adds nothing."""
    old_school, new_school = aliased(SchoolEnrolment), aliased(SchoolEnrolment)
    unfinished = and_(TE.campaign_id == current_id, TE.withdrawn_at.is_(None), old_school.state == SchoolState.INCOMPLETE,
                      ~_passed(t))
    carried_school = exists().where(TE.school_enrolment_id == old_school.id, unfinished)
    schools = session.execute(insert(SchoolEnrolment).from_select(
        ["campaign_id", "school_id", "state", "version", "updated_at"],
        select(literal(next_id), old_school.school_id, literal(SchoolState.PLAN_DRAFTING.value), literal(1),
               literal(now, SchoolEnrolment.updated_at.type))
        .where(old_school.campaign_id == current_id, old_school.state == SchoolState.INCOMPLETE, carried_school,
               ~exists().where(new_school.campaign_id == next_id, new_school.school_id == old_school.school_id))
    ), execution_options=COUNT_ROWS).rowcount
    already = aliased(TeacherEnrolment)
    teachers = session.execute(insert(TeacherEnrolment).from_select(
        ["campaign_id", "school_enrolment_id", "teacher_id", "choices", "online_hours", "practice_hours", "result",
         "credited_hours"],
        select(literal(next_id), new_school.id, TE.teacher_id, TE.choices, TE.online_hours, TE.practice_hours,
               null(), literal(0.0))
        .select_from(TE).join(old_school, old_school.id == TE.school_enrolment_id)
        .join(new_school, and_(new_school.campaign_id == next_id, new_school.school_id == old_school.school_id))
        .where(unfinished, ~exists().where(already.campaign_id == next_id, already.teacher_id == TE.teacher_id))
    ), execution_options=COUNT_ROWS).rowcount
    new_teacher, copied = aliased(TeacherEnrolment), aliased(HourRecord)
    records = session.execute(insert(HourRecord).from_select(
        ["teacher_enrolment_id", "course", "kind", "minutes_watched", "course_minutes", "imported_at"],
        select(new_teacher.id, HourRecord.course, HourRecord.kind, HourRecord.minutes_watched,
               HourRecord.course_minutes, HourRecord.imported_at)
        .select_from(HourRecord).join(TE, TE.id == HourRecord.teacher_enrolment_id)
        .join(old_school, old_school.id == TE.school_enrolment_id)
        .join(new_teacher, and_(new_teacher.campaign_id == next_id, new_teacher.teacher_id == TE.teacher_id))
        .where(unfinished, ~exists().where(copied.teacher_enrolment_id == new_teacher.id))
    ), execution_options=COUNT_ROWS).rowcount
    return {"schools": schools, "teachers": teachers, "hour_records": records}

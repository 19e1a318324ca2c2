"""SQL of enrolment: the schools a campaign enrols, its roster of active teachers, the sync's bulk writes and the
plan-submission tasks enrolment opens. Set-based throughout (a province enrols 25,000 schools and 900,000 teachers);
nothing here commits."""
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, text, update
from sqlmodel import Session

from infra.calendar import overrides
from models.calendar import deadline_for, due_at
from models.campaign import Campaign, SchoolEnrolment, TeacherEnrolment
from models.enums import CampaignStatus, Role, TaskKind
from models.evidence import Evidence
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.org import Person, Unit
from models.policy import Policy
from models.roster_sync import EnrolledTeacher, RosterChanges

CHUNK = 5000


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def units_by_code(session: Session, codes: Iterable[str]) -> dict[str, Unit]:
    """The units of these codes that exist, by code (looked up in chunks)."""
    found: dict[str, Unit] = {}
    for chunk in _chunks(sorted(set(codes))):
        found.update((u.code, u) for u in session.scalars(select(Unit).where(Unit.code.in_(chunk))).all())
    return found


def refresh_statistics(session: Session, *tables: str) -> None:
    """ANALYZE tables a bulk write just filled (PostgreSQL): rows inserted in this transaction have no statistics
    yet, and a plan made without them joins 900,000 teachers by nested loops."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


def enrolled_schools(session: Session, campaign_id: int) -> dict[int, int]:
    """The campaign's enrolled schools: school unit id → school enrolment id."""
    return dict(session.execute(select(SchoolEnrolment.school_id, SchoolEnrolment.id)
                                .where(SchoolEnrolment.campaign_id == campaign_id)).all())


def add_school_enrolments(session: Session, campaign_id: int, school_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Enrol these schools in plan drafting; school unit id → new school enrolment id."""
    for chunk in _chunks(list(school_ids)):
        session.execute(insert(SchoolEnrolment), [{"campaign_id": campaign_id, "school_id": s, "state": "plan_drafting",
                                                   "version": 1, "updated_at": now} for s in chunk])
    if len(school_ids) > CHUNK:
        refresh_statistics(session, "schoolenrolment", "person")
    wanted = set(school_ids)
    return {school: enrolment for school, enrolment in enrolled_schools(session, campaign_id).items() if school in wanted}


def roster(session: Session, campaign_id: int) -> dict[int, int]:
    """Every active teacher bound to a school enrolled in the campaign: person id → school enrolment id."""
    return dict(session.execute(
        select(Person.id, SchoolEnrolment.id).join(SchoolEnrolment, SchoolEnrolment.school_id == Person.unit_id)
        .where(SchoolEnrolment.campaign_id == campaign_id, Person.role == Role.TEACHER, Person.active.is_(True),
               Person.service_account.is_(False))).all())


def teacher_enrolments(session: Session, campaign_id: int) -> list[EnrolledTeacher]:
    """Every teacher enrolment of the campaign, withdrawn ones included."""
    return [EnrolledTeacher(i, t, s, w is not None) for i, t, s, w in session.execute(
        select(TeacherEnrolment.id, TeacherEnrolment.teacher_id, TeacherEnrolment.school_enrolment_id,
               TeacherEnrolment.withdrawn_at).where(TeacherEnrolment.campaign_id == campaign_id)).all()]


def apply_roster_changes(session: Session, campaign_id: int, changes: RosterChanges, now: datetime) -> None:
    """Write a sync's changes in bulk: new enrolments, moved and returned teachers (with their unheld evidence),
    withdrawals."""
    for chunk in _chunks(changes.joins):
        session.execute(insert(TeacherEnrolment), [
            {"campaign_id": campaign_id, "teacher_id": t, "school_enrolment_id": s, "choices": [], "online_hours": 0,
             "practice_hours": 0, "credited_hours": 0} for t, s in chunk])
    if len(changes.joins) > CHUNK:
        refresh_statistics(session, "teacherenrolment")
    moves = [{"eid": e, "school": to} for e, _, to in changes.transfers + changes.returns]
    teachers, evidence = TeacherEnrolment.__table__, Evidence.__table__
    by_id = update(teachers).where(teachers.c.id == bindparam("eid"))
    for chunk in _chunks(moves):
        session.execute(by_id.values(school_enrolment_id=bindparam("school"), withdrawn_at=None), chunk)
        session.execute(update(evidence).where(evidence.c.teacher_enrolment_id == bindparam("eid"),
                                               evidence.c.held.is_(False))
                        .values(school_enrolment_id=bindparam("school")), chunk)
    for chunk in _chunks(changes.withdrawals):
        session.execute(by_id.values(withdrawn_at=now), [{"eid": e} for e, _ in chunk])
    session.expire_all()  # the rows changed underneath the identity map


def teacher_usernames(session: Session, campaign_id: int, enrolment_ids: Iterable[int]) -> dict[int, str]:
    """The usernames of these teacher enrolments' people."""
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(set(enrolment_ids))):
        found.update(session.execute(select(TeacherEnrolment.id, Person.username)
                                     .join(Person, Person.id == TeacherEnrolment.teacher_id)
                                     .where(TeacherEnrolment.id.in_(chunk))).all())
    return found


def person_usernames(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The usernames of these people."""
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        found.update(session.execute(select(Person.id, Person.username).where(Person.id.in_(chunk))).all())
    return found


def school_codes(session: Session, campaign_id: int) -> dict[int, str]:
    """School enrolment id → school code, for the campaign."""
    return dict(session.execute(select(SchoolEnrolment.id, Unit.code).join(Unit, Unit.id == SchoolEnrolment.school_id)
                                .where(SchoolEnrolment.campaign_id == campaign_id)).all())


def open_plan_submissions(session: Session, campaign_id: int, policy: Policy, enrolments: Mapping[int, int],
                          parents: Mapping[int, int | None], now: datetime) -> int:
    """Open each new school enrolment's plan_submission task for its school admin, due by the calendar (school unit
    id → school enrolment id); idempotent by origin key. Returns how many were opened."""
    kind = TaskKind.PLAN_SUBMISSION
    _, role = TASK_ASSIGNMENT[kind]
    known = overrides(session, campaign_id)
    keys = {school: f"school:{enrolment}:v1:{kind}" for school, enrolment in enrolments.items()}
    existing: set[str] = set()
    for chunk in _chunks(list(keys.values())):
        existing.update(session.scalars(select(HumanTask.origin_key).where(HumanTask.origin_key.in_(chunk))).all())
    rows = []
    for school, enrolment in enrolments.items():
        if keys[school] in existing:
            continue
        chain, unit = [], school
        while unit is not None:
            chain.append(unit)
            unit = parents.get(unit)
        rows.append({"campaign_id": campaign_id, "kind": kind, "school_enrolment_id": enrolment, "unit_id": school,
                     "candidate_role": role, "status": "open", "created_at": now, "version": 1,
                     "due_at": due_at(now, policy.due_days(kind), deadline_for(policy, kind, chain, known)),
                     "origin_key": keys[school]})
    for chunk in _chunks(rows):
        session.execute(insert(HumanTask), chunk)
    return len(rows)


def campaigns_with_schools(session: Session, school_ids: Iterable[int] | None) -> list[int]:
    """Open campaigns that enrol any of these schools (every open campaign when None)."""
    query = select(Campaign.id).where(Campaign.status == CampaignStatus.OPEN).order_by(Campaign.id)
    if school_ids is not None:
        ids = sorted(set(school_ids))
        if not ids:
            return []
        query = query.where(Campaign.id.in_(select(SchoolEnrolment.campaign_id)
                                            .where(SchoolEnrolment.school_id.in_(ids))))
    return list(session.scalars(query).all())

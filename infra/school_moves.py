"""The one writer of school moves, and the reads a move is decided on.

`move_schools` writes one move or a thousand the same way, set-based: the version-conditioned UPDATE (one statement
per target state), the decided task recorded and the tasks the old state waited on cancelled, the task the new state
waits on opened, and one sealed audit entry per school chained onto the head. It never commits; a concurrent append
to the audit chain surfaces as IntegrityError at flush or commit, and the caller retries in a fresh unit of work
(application/concurrency.committed_with_retry).
"""
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, tuple_, update
from sqlmodel import Session

from infra import repository as repo
from infra.calendar import task_due_at
from infra.human_tasks import record_decision
from models.audit import AuditEntry
from models.campaign import Campaign, MicroAbility, PeerReview, SchoolEnrolment, TeacherEnrolment
from models.enums import CampaignStatus, SchoolEvent, SchoolState, TaskStatus, UnitLevel
from models.evidence import Evidence
from models.errors import DomainError, StaleState
from models.human_task import HumanTask, task_assignment
from models.lifecycle import TASK_OPENED_ON_ENTRY
from models.org import Person, Unit
from models.policy import Policy
from models.rules import TeacherStanding

SCHOOL_LEVEL_KINDS = frozenset(TASK_OPENED_ON_ENTRY.values())
"""The tasks a school's state waits on: a move cancels those still open (a close-out cancels every open task)."""


@dataclass(frozen=True)
class SchoolMove:
    """One school's move as the writer records it: from which state and version to which state, why, by whom."""

    enrolment_id: int
    campaign_id: int
    school: str
    event: SchoolEvent
    from_state: SchoolState
    to_state: SchoolState
    version: int
    actor: str
    command_key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)  # other columns the move sets (plan, county grade)
    task_id: int | None = None  # the task whose decision this move applies
    units: Mapping[UnitLevel, int] = field(default_factory=dict)  # the school's ancestry, for the task it opens
    policy: Policy | None = None  # the campaign's policy, for that task's due date


def move_schools(session: Session, moves: Sequence[SchoolMove], now: datetime, flow_run_id: str | None,
                 closing_campaign: bool = False) -> list[AuditEntry]:
    """Record the moves in the session (no commit): StaleState when a school is not at its move's version any more
    (CampaignClosed when the campaign closed meanwhile; only a close-out, `closing_campaign`, moves schools of a
    closed campaign); returns the sealed audit entries, one per move, in order."""
    if not moves:
        return []
    for group in _update_groups(moves):
        if _advance(session, group, now, closing_campaign) != len(group):
            for campaign_id in () if closing_campaign else {m.campaign_id for m in group}:
                repo.writable_campaign(session, campaign_id)  # CampaignClosed if that is why
            raise StaleState(f"school '{group[0].school}' changed while '{group[0].event}' was being applied"
                             if len(moves) == 1 else
                             f"a school moved while the {group[0].event} was moving it; the batch is rolled back")
    for move in moves:
        if move.task_id is not None:
            _record_decided_task(session, move, now)
    _cancel_waiting_tasks(session, moves, now)
    session.add_all(task for move in moves if (task := _opened_task(session, move, now)) is not None)
    entries = [AuditEntry(
        campaign_id=m.campaign_id, school_enrolment_id=m.enrolment_id, actor=m.actor, event=m.event,
        from_state=m.from_state, to_state=m.to_state, payload=dict(m.payload), flow_run_id=flow_run_id,
        command_key=m.command_key, created_at=now) for m in moves]
    repo.append_audit(session, entries)
    return entries


def _update_groups(moves: Sequence[SchoolMove]) -> list[list[SchoolMove]]:
    """Moves to the same state setting no other column share one UPDATE; a move with columns of its own has its own."""
    shared: dict[SchoolState, list[SchoolMove]] = defaultdict(list)
    own = []
    for move in moves:
        (own.append([move]) if move.values else shared[move.to_state].append(move))
    return [*shared.values(), *own]


def _advance(session: Session, group: list[SchoolMove], now: datetime, closing_campaign: bool) -> int:
    """The version-conditioned UPDATE of one group; how many schools it moved."""
    if len(group) == 1:
        at_version = (SchoolEnrolment.id == group[0].enrolment_id, SchoolEnrolment.version == group[0].version)
    else:
        at_version = (tuple_(SchoolEnrolment.id, SchoolEnrolment.version).in_(
            [(m.enrolment_id, m.version) for m in group]),)
    # the close is checked in the same statement, so no move slips in after the freeze
    still_open = () if closing_campaign else (exists().where(
        Campaign.id == SchoolEnrolment.campaign_id, Campaign.status == CampaignStatus.OPEN),)
    return session.execute(
        update(SchoolEnrolment).where(*at_version, *still_open)
        .values(state=group[0].to_state, version=SchoolEnrolment.version + 1, updated_at=now, **group[0].values)
    ).rowcount


def _record_decided_task(session: Session, move: SchoolMove, now: datetime) -> None:
    """The task the move decides must be the school's: open (decided outside the inbox: recorded here), or completed
    with its decider (decided in the inbox, which queued this move)."""
    task = session.get(HumanTask, move.task_id)
    decided_in_inbox = task is not None and task.status == TaskStatus.COMPLETED and task.decided_by
    if task is None or task.school_enrolment_id != move.enrolment_id or not (
            task.status == TaskStatus.OPEN or decided_in_inbox):
        raise DomainError(f"task {move.task_id} is not an open task of school '{move.school}'")
    if task.status == TaskStatus.OPEN and not record_decision(session, move.task_id, dict(move.payload), move.actor,
                                                              now):
        raise DomainError(f"task {move.task_id} is not an open task of school '{move.school}'")


def _cancel_waiting_tasks(session: Session, moves: Sequence[SchoolMove], now: datetime) -> None:
    """Cancel the open tasks the schools' old states waited on (every open task of theirs at a close-out)."""
    by_scope: dict[bool, list[int]] = defaultdict(list)
    for move in moves:
        by_scope[move.event == SchoolEvent.CLOSE_OUT].append(move.enrolment_id)
    for every_kind, ids in by_scope.items():
        query = update(HumanTask).where(
            HumanTask.school_enrolment_id.in_(ids) if len(ids) > 1 else HumanTask.school_enrolment_id == ids[0],
            HumanTask.status == TaskStatus.OPEN)
        if not every_kind:
            query = query.where(HumanTask.kind.in_(SCHOOL_LEVEL_KINDS))
        session.execute(query.values(status=TaskStatus.CANCELLED, completed_at=now, version=HumanTask.version + 1))


def _opened_task(session: Session, move: SchoolMove, now: datetime) -> HumanTask | None:
    """The task the new state waits on, if any: scoped to the unit its kind belongs to, due by the calendar."""
    kind = TASK_OPENED_ON_ENTRY.get(move.to_state)
    if kind is None:
        return None
    level, role = task_assignment(kind, move.policy.spot_check_by)
    return HumanTask(
        campaign_id=move.campaign_id, kind=kind, school_enrolment_id=move.enrolment_id,
        unit_id=move.units[level], candidate_role=role,
        due_at=task_due_at(session, move.campaign_id, move.policy, kind, move.units[UnitLevel.SCHOOL], now),
        origin_key=f"school:{move.enrolment_id}:v{move.version + 1}:{kind}")


# --- the reads a move is decided on --------------------------------------------------------------------------------

def applied_move(session: Session, command_key: str) -> AuditEntry | None:
    """The audit entry of the move with this command key, if it was applied already."""
    return session.scalars(select(AuditEntry).where(AuditEntry.command_key == command_key)).first()


def school_version(session: Session, enrolment_id: int) -> int:
    """The school's current version."""
    return session.get(SchoolEnrolment, enrolment_id).version


def teacher_standings(session: Session, enrolment_id: int) -> tuple[TeacherStanding, ...]:
    """The school's teachers as the guards read them: hours, result, choices, and whether they peer-reviewed (a
    school of one teacher has no peer to review)."""
    teachers = session.execute(
        select(TeacherEnrolment, Person.username).join(Person, Person.id == TeacherEnrolment.teacher_id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id, TeacherEnrolment.withdrawn_at.is_(None))
        .order_by(TeacherEnrolment.id)).all()
    reviewers = set(session.scalars(
        select(PeerReview.reviewer_enrolment_id)
        .join(TeacherEnrolment, TeacherEnrolment.id == PeerReview.reviewer_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id)).all())
    return tuple(TeacherStanding(t.online_hours, t.practice_hours, t.result, tuple(t.choices),
                                 t.id in reviewers or len(teachers) == 1, username) for t, username in teachers)


def campaign_catalog(session: Session, campaign_id: int) -> dict[str, MicroAbility]:
    """The campaign's micro-abilities by code, detached from the session."""
    catalog = {m.code: m for m in session.scalars(
        select(MicroAbility).where(MicroAbility.campaign_id == campaign_id)).all()}
    for ability in catalog.values():
        session.expunge(ability)
    return catalog


def unit_ancestry(session: Session, unit_id: int) -> dict[UnitLevel, int]:
    """The unit and every unit above it, by level (at most four lookups, identity-mapped)."""
    units: dict[UnitLevel, int] = {}
    current: int | None = unit_id
    while current is not None:
        unit = session.get(Unit, current)
        units[UnitLevel(unit.level)] = unit.id
        current = unit.parent_id
    return units


def school_files(session: Session, enrolment_id: int, item: str) -> frozenset[int]:
    """The evidence ids of the school's own uploaded files of an item (`plan`, `report`; not a teacher's)."""
    return frozenset(session.scalars(select(Evidence.id).where(
        Evidence.school_enrolment_id == enrolment_id, Evidence.item == item,
        Evidence.teacher_enrolment_id.is_(None))).all())

"""The human-task inbox: list and read tasks, claim, release, reassign, complete (into the outbox, applied by a
flow run), and where a decision stands. The checks are here; infra/inbox.py holds the queries and conditional
UPDATEs, infra/human_tasks.py the one completion."""
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from application import moves
from infra import human_tasks, inbox, repository as repo, task_views
from infra.decision_items import check_decision_items
from infra.fault_points import crash_point
from infra.task_views import TaskFilter, TaskRow
from infra.unit_of_work import UnitOfWork
from models.access import independence_refusal, is_office, may_take
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.decisions import lifecycle_event
from models.enums import Role, TaskKind, TaskStatus
from models.evidence import LOCKED_STATES
from models.errors import (
    DomainError, NotFound, OutOfScope, PreconditionFailed, RuleViolated, SchoolLocked, TaskConflict,
)
from models.org import Principal
from models.outbox import OutboxEntry
from models.transition import TransitionRequest

__all__ = ["ItemAnswer", "TaskFilter", "TaskRow", "claim_task", "complete_task", "complete_tasks", "decision_status",
           "list_tasks", "read_task", "reassign_task", "release_task"]

CHANGES_SCHOOL_WORK = frozenset({TaskKind.PLAN_SUBMISSION, TaskKind.PLAN_REVISION, TaskKind.SUBMISSION_GRADING,
                                 TaskKind.GRADE_CONFIRMATION})
"""Task kinds whose decision changes a school's plans, submissions or grades: refused while it is locked."""
CHECKED_AT_ONCE = frozenset({TaskKind.TRAINING_COMPLETION, TaskKind.COUNTY_APPLICATION})
"""Declarations whose guards weigh every teacher: refused in the request, naming each blocking teacher and why."""
ACCEPTED = "decision-accepted"
"""The fault point right after a decision's commit, before its answer (tests/faults)."""


def _may_take(user: Principal, task) -> None:
    if not may_take(user.role, task.candidate_role):
        raise OutOfScope(f"task {task.id} is for a {task.candidate_role}, not a {user.role}")


def _independent(role: Role | str, grades_own_submission: bool, teaches_at_school: bool) -> None:
    """Refuse (OutOfScope) a person the independence rules keep off the task."""
    if (reason := independence_refusal(role, grades_own_submission, teaches_at_school)) is not None:
        raise OutOfScope(reason)


def _check_version(task, if_match: int | None) -> None:
    if if_match is not None and if_match != task.version:
        raise PreconditionFailed(f"task {task.id} is at version {task.version}, not {if_match}")


def list_tasks(uow: UnitOfWork, user: Principal, wanted: TaskFilter) -> tuple[int, list[TaskRow]]:
    """The caller's inbox: how many tasks match, and the page asked for (names joined in)."""
    return task_views.visible_tasks(uow.session, user, wanted)


def read_task(uow: UnitOfWork, user: Principal, task_id: int) -> TaskRow:
    """One task the caller may see; NotFound alike for one that does not exist and one they may not see."""
    return task_views.visible_task_row(uow.session, user, task_id)


def claim_task(uow: UnitOfWork, user: Principal, task_id: int, if_match: int | None) -> TaskRow:
    """Take an open task for oneself: only its role may; of two claims one wins (TaskConflict for the other)."""
    task = task_views.visible_task(uow.session, user, task_id)
    _may_take(user, task)
    repo.writable_campaign(uow.session, task.campaign_id)
    _check_version(task, if_match)
    if not inbox.claim_open(uow.session, task, user.username, utcnow()):
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")
    return read_task(uow, user, task_id)


def release_task(uow: UnitOfWork, user: Principal, task_id: int, if_match: int | None) -> TaskRow:
    """Give a claimed task back: its holder, or an office of the unit."""
    task = task_views.visible_task(uow.session, user, task_id)
    repo.writable_campaign(uow.session, task.campaign_id)
    _check_version(task, if_match)
    if task.claimed_by != user.username and not is_office(user.role):
        raise OutOfScope(f"task {task.id} is held by {task.claimed_by}")
    if task.kind == TaskKind.PEER_REVIEW and not is_office(user.role):
        raise RuleViolated("peer_review_assigned", "a peer review stays with the colleague it was assigned to; "
                                                   "an office may reassign it")
    if not inbox.release_claim(uow.session, task):
        raise TaskConflict(f"task {task.id} changed while being released")
    return read_task(uow, user, task_id)


def reassign_task(uow: UnitOfWork, user: Principal, task_id: int, to_username: str, if_match: int | None) -> TaskRow:
    """An office hands an open task to a named, independent reviewer of the right role inside its own subtree."""
    task = task_views.visible_task(uow.session, user, task_id)
    if not is_office(user.role):
        raise OutOfScope("only a county or city office reassigns tasks")
    repo.writable_campaign(uow.session, task.campaign_id)
    _check_version(task, if_match)
    target = repo.person_by_username(uow.session, to_username)
    if target is None:
        raise NotFound(f"user '{to_username}' does not exist")
    if not may_take(target.role, task.candidate_role) or not repo.in_subtree(uow.session, user.unit_id, target.unit_id):
        raise OutOfScope(f"'{to_username}' is not a {task.candidate_role} inside your unit")
    _independent(target.role, *inbox.independence_facts(uow.session, task, target.id))
    if not inbox.hand_to(uow.session, task, target.username, utcnow()):
        raise TaskConflict(f"task {task.id} changed while being reassigned")
    return read_task(uow, user, task_id)


def complete_task(uow: UnitOfWork, user: Principal, task_id: int, decision: BaseModel,
                  if_match: int | None) -> OutboxEntry:
    """Record the decision and queue its outbox row (a flow run applies it); of two completions one wins."""
    task = inbox.completion_facts(uow.session, user, task_id)
    if task is None or not task.visible:
        raise NotFound(f"task {task_id} does not exist or is not yours to see")
    refuse_if_closed(task.campaign, task.campaign_status, task.closed_at)
    _may_take(user, task)
    _independent(user.role, task.own_submission, task.teaches_there)
    if task.kind == TaskKind.SPOT_CHECK_DRAW:
        raise DomainError(f"task {task.id} waits for the spot-check draw: POST /campaigns/{task.campaign}/"
                          "spot-check-draws decides every waiting school at once")
    if decision.kind != task.kind:
        raise DomainError(f"task {task.id} is a {task.kind} task; the decision is for {decision.kind}")
    if task.kind in CHANGES_SCHOOL_WORK and task.state in LOCKED_STATES:
        raise SchoolLocked(task.school, task.state)
    check_decision_items(uow.session, task, decision)
    _check_version(task, if_match)
    if task.status != TaskStatus.OPEN or task.claimed_by not in (None, user.username):
        raise TaskConflict(f"task {task.id} is not open or is held by someone else")
    fired = lifecycle_event(decision)
    if task.kind in CHECKED_AT_ONCE:
        moves.check_move(uow, TransitionRequest(campaign=task.campaign, county=task.county, school=task.school,
                                                event=fired[0], actor=user.username, payload=fired[1],
                                                task_id=task.id))
    # The attempt read here stays right: a reopening changes the task's version, so the conditional UPDATE then fails.
    entry = OutboxEntry(task_id=task.id, task_attempt=task.decided_attempts + 1, campaign=task.campaign,
                        county=task.county, school=task.school, event=fired[0] if fired else None,
                        payload=fired[1] if fired else {}, actor=user.username)
    entry.id = human_tasks.complete_and_queue(uow.session, entry, {
        "task_id": task.id, "expected": task.version, "next": task.version + 1, "actor": user.username,
        "decision": decision.model_dump(mode="json", exclude_none=True), "now": utcnow()})
    if entry.id is None:
        if if_match is not None:
            raise PreconditionFailed(f"task {task.id} changed while being completed")
        raise TaskConflict(f"task {task.id} was completed or claimed by someone else just now")
    uow.after_commit(lambda: crash_point(ACCEPTED))
    return entry


@dataclass(frozen=True)
class ItemAnswer:
    """How one item of a bulk completion ended: its status (202 with the queued decision, else the refusal)."""

    task_id: int
    status: int
    entry: OutboxEntry | None = None
    refusal: DomainError | None = None


def complete_tasks(uow: UnitOfWork, user: Principal,
                   items: Sequence[tuple[int, BaseModel, int | None]]) -> list[ItemAnswer]:
    """Complete many tasks, each on its own as complete_task would (in a savepoint: a refusal undoes only its own
    item); one answer per item, in order."""
    answers = []
    for task_id, decision, if_match in items:
        try:
            with uow.session.begin_nested():
                entry = complete_task(uow, user, task_id, decision, if_match)
            answers.append(ItemAnswer(task_id, 202, entry))
        except DomainError as exc:
            answers.append(ItemAnswer(task_id, exc.status_code, refusal=exc))
        except IntegrityError:  # a concurrent completion queued the task's decision first
            answers.append(ItemAnswer(task_id, 409, refusal=TaskConflict(
                f"task {task_id} was completed by someone else just now")))
    return answers


def decision_status(uow: UnitOfWork, user: Principal, decision_id: int) -> OutboxEntry:
    """A recorded decision, if its task is one the caller may see; NotFound alike otherwise."""
    entry = inbox.decision_entry(uow.session, decision_id)
    try:
        if entry is None:
            raise NotFound("no such decision")
        task_views.visible_task(uow.session, user, entry.task_id)
    except NotFound:
        raise NotFound(f"decision {decision_id} does not exist or is not yours to see") from None
    return entry

"""The dispatcher: applies decisions queued in the outbox, in bulk flow runs; never loses or repeats one."""
import time
from collections import defaultdict

from sqlalchemy import select

from flows.grading import apply_grading_decisions
from flows.transition import apply_school_transitions
from infra import inbox
from infra.db import session_scope
from models.clock import utcnow
from models.errors import DomainError
from models.outbox import OutboxEntry, OutboxStatus
from models.transition import TransitionRequest, UnfinishedMove


def pending_entries(limit: int) -> list[OutboxEntry]:
    """The oldest pending decisions."""
    with session_scope() as session:
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.PENDING)
                               .order_by(OutboxEntry.id).limit(limit)).all()
        session.expunge_all()
        return list(rows)


def _request(entry: OutboxEntry) -> TransitionRequest:
    return TransitionRequest(campaign=entry.campaign, county=entry.county, school=entry.school, event=entry.event,
                             actor=entry.actor, payload=entry.payload, task_id=entry.task_id,
                             command_key=entry.command_key())


def _settle(applied: dict[int, str | None], refused: dict[int, str], unfinished: dict[int, str]) -> None:
    """Mark applied entries (with their flow run), reopen the tasks of refused ones (cancel them in a closed
    campaign), and leave unfinished ones pending with the error, for the next round; repeat-safe."""
    with session_scope() as session:
        for entry_id in [*applied, *refused, *unfinished]:
            entry = session.get(OutboxEntry, entry_id)
            if entry.status != OutboxStatus.PENDING:
                continue
            if entry_id in unfinished:
                entry.last_error, entry.attempts = unfinished[entry_id][:2000], entry.attempts + 1
            elif entry_id in refused:
                inbox.reopen_refused(session, entry, refused[entry_id])
            else:
                entry.status, entry.applied_at = OutboxStatus.APPLIED, utcnow()
                entry.flow_run_id, entry.attempts = applied[entry_id], entry.attempts + 1


def dispatch_once(limit: int = 500) -> dict[str, int]:
    """Apply up to `limit` pending decisions; an unreachable Prefect leaves them pending for the next round."""
    entries = pending_entries(limit)
    applied: dict[int, str | None] = {}
    refused: dict[int, str] = {}
    unfinished: dict[int, str] = {}
    transitions = [e for e in entries if e.event]
    if transitions:
        results = apply_school_transitions([_request(e) for e in transitions], label=f"decisions · {len(transitions)}")
        for entry, result in zip(transitions, results):
            if isinstance(result, str):
                refused[entry.id] = result
            elif isinstance(result, UnfinishedMove):
                unfinished[entry.id] = result.error
            else:
                applied[entry.id] = result.flow_run_id
    grading: dict[tuple[str, str], list[OutboxEntry]] = defaultdict(list)
    for entry in entries:
        if not entry.event:
            grading[(entry.campaign, entry.school)].append(entry)
    for (campaign, school), group in grading.items():
        try:
            apply_grading_decisions(campaign, school)
        except DomainError as exc:  # e.g. the campaign was closed meanwhile: refused for good, not retried
            refused.update((e.id, f"{school}: {exc.detail}") for e in group)
            continue
        applied.update((e.id, None) for e in group)
    _settle(applied, refused, unfinished)
    return {"applied": len(applied), "refused": len(refused), "unfinished": len(unfinished)}


def run_dispatcher(interval: float = 1.0, on_error=lambda exc: None) -> None:
    """Dispatch forever; when Prefect or the database is down, wait and try again."""
    while True:
        try:
            settled = dispatch_once()
            if not (settled["applied"] or settled["refused"]) or not pending_entries(1):
                time.sleep(interval)  # idle, or only unfinished work to resume: no busy loop
        except Exception as exc:  # noqa: BLE001 — any outage: keep the decisions, retry later
            on_error(exc)
            time.sleep(interval * 5)

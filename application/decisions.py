"""Queued decisions: what the dispatcher reads, how a bulk run's answers sort into applied, refused and unfinished,
and settling them in the outbox."""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra import inbox
from infra import outbox
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.outbox import OutboxEntry
from models.transition import TransitionOutcome, TransitionRequest, UnfinishedMove


@dataclass
class Settlement:
    """How a round of queued decisions ended, by outbox entry id."""

    applied: dict[int, str | None] = field(default_factory=dict)  # with the flow run that applied it
    refused: dict[int, str] = field(default_factory=dict)  # with the refusal
    unfinished: dict[int, str] = field(default_factory=dict)  # with the follow-up work's error

    def applied_all(self, entries: Sequence[OutboxEntry], flow_run_id: str | None = None) -> None:
        """These decisions were applied."""
        self.applied |= {e.id: flow_run_id for e in entries}

    def refused_all(self, entries: Sequence[OutboxEntry], reason: str) -> None:
        """These decisions were refused for good, for this reason."""
        self.refused |= {e.id: reason for e in entries}

    def counts(self) -> dict[str, int]:
        """How many decisions were applied, refused and left unfinished."""
        return {"applied": len(self.applied), "refused": len(self.refused), "unfinished": len(self.unfinished)}


def queued_decisions(uow: UnitOfWork, limit: int) -> list[OutboxEntry]:
    """The oldest `limit` decisions waiting to be applied."""
    return outbox.pending_entries(uow.session, limit)


def transition_request(entry: OutboxEntry) -> TransitionRequest:
    """The school transition a queued decision asks for (keyed by its task and attempt)."""
    return TransitionRequest(campaign=entry.campaign, county=entry.county, school=entry.school, event=entry.event,
                             actor=entry.actor, payload=entry.payload, task_id=entry.task_id,
                             command_key=entry.command_key())


def grading_groups(entries: Sequence[OutboxEntry]) -> dict[tuple[str, str], list[OutboxEntry]]:
    """Queued grading decisions (those with no school event) by campaign and school: one run applies a school's."""
    groups: dict[tuple[str, str], list[OutboxEntry]] = defaultdict(list)
    for entry in entries:
        if not entry.event:
            groups[(entry.campaign, entry.school)].append(entry)
    return dict(groups)


def sort_transition_results(settlement: Settlement, entries: Sequence[OutboxEntry],
                            results: Sequence[TransitionOutcome | UnfinishedMove | str]) -> None:
    """File a bulk run's answers: a text is a refusal, an UnfinishedMove is to be resumed, an outcome is applied."""
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, str):
            settlement.refused[entry.id] = result
        elif isinstance(result, UnfinishedMove):
            settlement.unfinished[entry.id] = result.error
        else:
            settlement.applied[entry.id] = result.flow_run_id


def settle_decisions(uow: UnitOfWork, settlement: Settlement) -> dict[str, int]:
    """Mark applied decisions (with their flow run), reopen the tasks of refused ones (cancel them in a closed
    campaign), and leave unfinished ones pending with the error, for the next round; repeat-safe."""
    now = utcnow()
    for entry_id in [*settlement.applied, *settlement.refused, *settlement.unfinished]:
        entry = outbox.still_pending(uow.session, entry_id)
        if entry is None:
            continue
        if entry_id in settlement.unfinished:
            outbox.mark_unfinished(entry, settlement.unfinished[entry_id])
        elif entry_id in settlement.refused:
            inbox.reopen_refused(uow.session, entry, settlement.refused[entry_id])
        else:
            outbox.mark_applied(entry, settlement.applied[entry_id], now)
    return settlement.counts()

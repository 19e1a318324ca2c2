"""The dispatcher: applies decisions queued in the outbox, in bulk flow runs; never loses or repeats one.

It is not a flow but the process that starts them: it reads and settles the outbox through application services
(application/decisions.py), each in a unit of work of its own and without Prefect, so a Prefect outage only leaves
the decisions pending; applying them is the in-process bulk flow runs below.
"""
import time

from application import decisions
from flows.grading import apply_grading_decisions
from flows.transition import apply_school_transitions
from infra.unit_of_work import committed
from models.errors import DomainError


def dispatch_once(limit: int = 500) -> dict[str, int]:
    """Apply up to `limit` pending decisions; an unreachable Prefect leaves them pending for the next round."""
    entries = committed(decisions.queued_decisions, limit)
    settlement = decisions.Settlement()
    transitions = [e for e in entries if e.event]
    if transitions:
        results = apply_school_transitions([decisions.transition_request(e) for e in transitions],
                                           label=f"decisions · {len(transitions)}")
        decisions.sort_transition_results(settlement, transitions, results)
    for (campaign, school), group in decisions.grading_groups(entries).items():
        try:
            apply_grading_decisions(campaign, school)
        except DomainError as exc:  # e.g. the campaign was closed meanwhile: refused for good, not retried
            settlement.refused_all(group, f"{school}: {exc.detail}")
            continue
        settlement.applied_all(group)
    return committed(decisions.settle_decisions, settlement)


def run_dispatcher(interval: float = 1.0, on_error=lambda exc: None) -> None:
    """Dispatch forever; when Prefect or the database is down, wait and try again."""
    while True:
        try:
            settled = dispatch_once()
            if not (settled["applied"] or settled["refused"]) or not committed(decisions.queued_decisions, 1):
                time.sleep(interval)  # idle, or only unfinished work to resume: no busy loop
        except Exception as exc:  # noqa: BLE001 — any outage: keep the decisions, retry later
            on_error(exc)
            time.sleep(interval * 5)

"""Flows over evidence: hold it when locked, lift the hold for rectification, retain it when certified, and
sweep what nobody owns."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prefect import flow
from prefect.futures import PrefectFuture, wait
from prefect.task_runners import ThreadPoolTaskRunner

from models.evidence_sweep import DEFAULT_GRACE, SweptVersion
from models.sampling import draw_some
from tasks.evidence_sweep import delete_unowned, find_unowned, remove_leftovers
from tasks.step_progress import report_step
from tasks.evidence import (
    IntegrityFinding, StoredRef, archive_until, check_versions, clear_school_held, evidence_held, evidence_to_hold,
    evidence_to_retain, mark_school_held, publish_integrity_report, record_holds, record_retentions,
    recorded_versions, set_holds, set_retentions,
)

BATCH = 250
"""Versions per store task: large enough that Prefect's per-task cost vanishes, small enough to resume cheaply."""
STORE_WORKERS = 4
"""Batches in flight at once per run (each also takes a slot of the `evidence-store` global limit)."""


def batches(refs: list[StoredRef], size: int) -> Iterable[list[StoredRef]]:
    """The refs in consecutive batches of `size`."""
    return (refs[i:i + size] for i in range(0, len(refs), size))


def _record_finished(futures: list[PrefectFuture], record: Callable[[list[int]], int]) -> int:
    """Record every batch that succeeded, then raise the first failure: a rerun resumes from what is recorded."""
    wait(futures)
    done, failure = 0, None
    for future in futures:
        if future.state.is_completed():
            done += record(future.result())
        elif failure is None:
            failure = future.state
    if failure is not None:
        failure.result()  # raises the batch's exception
    return done


@flow(name="lock-school-evidence", flow_run_name="hold evidence · enrolment {enrolment_id}",
      task_runner=ThreadPoolTaskRunner(max_workers=STORE_WORKERS), persist_result=False)
def lock_school_evidence(enrolment_id: int, batch_size: int = BATCH) -> bool:
    """Legal hold on every evidence version of the school; it counts as locked only when all are held."""
    pending = evidence_to_hold(enrolment_id)
    futures = [set_holds.submit(batch, True) for batch in batches(pending, batch_size)]
    _record_finished(futures, lambda ids: record_holds(ids, True))
    return mark_school_held(enrolment_id)


@flow(name="release-school-evidence", flow_run_name="release evidence · enrolment {enrolment_id}",
      task_runner=ThreadPoolTaskRunner(max_workers=STORE_WORKERS), persist_result=False)
def release_school_evidence(enrolment_id: int, batch_size: int = BATCH) -> int:
    """Lift the holds for rectification; the school stops counting as locked before the first hold is lifted."""
    clear_school_held(enrolment_id)
    held = evidence_held(enrolment_id)
    futures = [set_holds.submit(batch, False) for batch in batches(held, batch_size)]
    return _record_finished(futures, lambda ids: record_holds(ids, False))


@flow(name="retain-school-evidence", flow_run_name="retain evidence · enrolment {enrolment_id}",
      task_runner=ThreadPoolTaskRunner(max_workers=STORE_WORKERS), persist_result=False)
def retain_school_evidence(enrolment_id: int, batch_size: int = BATCH) -> int:
    """COMPLIANCE retention for the policy's archive years on every version of a certified school."""
    until = archive_until(enrolment_id)
    pending = evidence_to_retain(enrolment_id, until)
    futures = [set_retentions.submit(batch, until) for batch in batches(pending, batch_size)]
    return _record_finished(futures, lambda ids: record_retentions(ids, until))


@flow(name="verify-evidence", flow_run_name="verify evidence · {campaign} {county} {school}",
      task_runner=ThreadPoolTaskRunner(max_workers=STORE_WORKERS), persist_result=False)
def verify_evidence(campaign: str, county: str | None = None, school: str | None = None, sample: int | None = None,
                    seed: int = 0, batch_size: int = BATCH) -> list[IntegrityFinding]:
    """Re-read all (or a seeded sample of) the recorded versions and report any missing or changed object."""
    recorded = recorded_versions(campaign, county, school)
    chosen = draw_some(recorded, sample, seed)
    parts = list(batches(chosen, batch_size))
    futures = [check_versions.submit(batch) for batch in parts]
    findings, done = [], 0
    report_step("versions checked", 0, len(chosen))
    for batch, future in zip(parts, futures, strict=True):
        findings += future.result()
        done += len(batch)
        report_step("versions checked", done, len(chosen))
    publish_integrity_report(" ".join(filter(None, [campaign, county, school])), len(chosen), findings)
    return findings


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep removed (or would remove, in a dry run) and what it only reports."""

    removed: list[SweptVersion]
    reported: list[SweptVersion]
    leftovers: list[str]
    dry_run: bool

    @property
    def summary(self) -> str:
        """One line for the CLI and the run's logs."""
        verb = "would remove" if self.dry_run else "removed"
        return (f"evidence sweep: {verb} {len(self.removed)} unowned version(s) and {len(self.leftovers)} "
                f"leftover(s); {len(self.reported)} held or retained unowned version(s) reported")


@flow(name="evidence-sweep", flow_run_name="sweep unowned evidence · {campaign}", persist_result=False)
def evidence_sweep(campaign: str | None = None, grace_minutes: int = int(DEFAULT_GRACE.total_seconds() // 60),
                   dry_run: bool = False) -> SweepOutcome:
    """Delete stored versions no evidence record or open upload owns, and crash leftovers, past the grace."""
    found = find_unowned(campaign, grace_minutes)
    if dry_run:
        return SweepOutcome(found.plan.delete, found.plan.report, found.leftovers, True)
    kept = delete_unowned(found.plan.delete)
    kept_ids = {(v.key, v.version_id) for v in kept}
    removed = [v for v in found.plan.delete if (v.key, v.version_id) not in kept_ids]
    remove_leftovers(found.leftovers)
    return SweepOutcome(removed, found.plan.report + kept, found.leftovers, False)

"""Tasks on a school's evidence: read which versions need work, change them in the store, record it in the DB.

The reads and records are services (application/evidence_custody.py) run in a unit of work of their own; the
store calls are the tasks' own side effect."""
from dataclasses import dataclass
from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.concurrency.sync import concurrency

from application import evidence_custody as custody
from application.evidence_custody import RecordedVersion, StoredRef
from infra.evidence import get_evidence_store
from infra.unit_of_work import committed
from models.errors import EvidenceMissing
from tasks.common import TASK_DEFAULTS

__all__ = ["STORE_LIMIT", "IntegrityFinding", "RecordedVersion", "StoredRef", "archive_until", "check_versions",
           "clear_school_held", "evidence_held", "evidence_to_hold", "evidence_to_retain", "mark_school_held",
           "publish_integrity_report", "record_holds", "record_retentions", "recorded_versions", "set_holds",
           "set_retentions"]

STORE_LIMIT = "evidence-store"
"""The Prefect global concurrency limit every batch of store calls occupies a slot of (created by serve-flows)."""
ACTOR = "system"
"""Who the custody steps act as: the lifecycle's flows, not a person."""


@task(**TASK_DEFAULTS)
def evidence_to_hold(enrolment_id: int) -> list[StoredRef]:
    """Versions of the school not yet recorded as held (so a rerun resumes where the last one stopped)."""
    return committed(custody.evidence_to_hold, enrolment_id)


@task(**TASK_DEFAULTS)
def evidence_held(enrolment_id: int) -> list[StoredRef]:
    """Versions of the school recorded as held."""
    return committed(custody.evidence_held, enrolment_id)


@task(**TASK_DEFAULTS)
def evidence_to_retain(enrolment_id: int, until: datetime) -> list[StoredRef]:
    """Versions of the school not yet retained until `until`."""
    return committed(custody.evidence_to_retain, enrolment_id, until)


@task(**TASK_DEFAULTS)
def set_holds(batch: list[StoredRef], on: bool) -> list[int]:
    """Put (or lift) the legal hold on every version of the batch in the store; the ids done."""
    store = get_evidence_store()
    return _each_in_store(batch, lambda ref: store.set_legal_hold(ref.key, ref.version_id, on))


@task(**TASK_DEFAULTS)
def set_retentions(batch: list[StoredRef], until: datetime) -> list[int]:
    """Set COMPLIANCE retention until `until` on every version of the batch in the store; the ids done."""
    store = get_evidence_store()
    return _each_in_store(batch, lambda ref: store.set_retention(ref.key, ref.version_id, until))


def _each_in_store(batch: list[StoredRef], act) -> list[int]:
    """Apply `act` to each version while holding one slot of the store's global limit; the ids done."""
    with concurrency(STORE_LIMIT, occupy=1, strict=False):
        for ref in batch:
            act(ref)
    return [ref.id for ref in batch]


@task(**TASK_DEFAULTS)
def record_holds(ids: list[int], on: bool) -> int:
    """Record in the DB that these versions are (or are no longer) held."""
    return committed(custody.record_holds, ACTOR, ids, on)


@task(**TASK_DEFAULTS)
def record_retentions(ids: list[int], until: datetime) -> int:
    """Record in the DB that these versions are retained until `until`."""
    return committed(custody.record_retentions, ACTOR, ids, until)


@task(**TASK_DEFAULTS)
def mark_school_held(enrolment_id: int) -> bool:
    """The school counts as locked once every version is held: stamp it then (and only while still locked)."""
    return committed(custody.mark_school_held, ACTOR, enrolment_id)


@task(**TASK_DEFAULTS)
def clear_school_held(enrolment_id: int) -> None:
    """The school is open again (rectification): it no longer counts as locked."""
    return committed(custody.clear_school_held, ACTOR, enrolment_id)


@task(**TASK_DEFAULTS)
def archive_until(enrolment_id: int) -> datetime:
    """When certified evidence may be deleted: the certification time plus the policy's archive years."""
    return committed(custody.archive_until, enrolment_id)


@dataclass(frozen=True)
class IntegrityFinding:
    """A version whose bytes are gone or differ from the recorded SHA-256."""

    evidence_id: int
    school: str
    key: str
    version_id: str
    problem: str


@task(**TASK_DEFAULTS)
def recorded_versions(campaign: str, county: str | None, school: str | None) -> list[RecordedVersion]:
    """Every recorded evidence version of a campaign, narrowed to a county or a school."""
    return committed(custody.recorded_versions, campaign, county, school)


@task(**TASK_DEFAULTS)
def check_versions(batch: list[RecordedVersion]) -> list[IntegrityFinding]:
    """Re-read every version of the batch from the store and compare its SHA-256 with the recorded one."""
    store = get_evidence_store()
    findings = []
    with concurrency(STORE_LIMIT, occupy=1, strict=False):
        for version in batch:
            try:
                actual = store.hash_of(version.key, version.version_id)
            except EvidenceMissing:
                findings.append(IntegrityFinding(version.id, version.school, version.key, version.version_id, "missing"))
                continue
            if actual != version.sha256:
                findings.append(IntegrityFinding(version.id, version.school, version.key, version.version_id,
                                                 f"sha256 {actual} differs from recorded {version.sha256}"))
    return findings


@task(**TASK_DEFAULTS)
def publish_integrity_report(scope: str, checked: int, findings: list[IntegrityFinding]) -> str:
    """A markdown artifact offices find in the Prefect UI: what was checked and every mismatch."""
    lines = [f"# Evidence integrity · {scope}", "", f"Checked {checked} versions: "
             f"{'all match their recorded SHA-256' if not findings else f'{len(findings)} problem(s)'}.", ""]
    if findings:
        lines += ["| school | key | version | problem |", "|---|---|---|---|"]
        lines += [f"| {f.school} | `{f.key}` | `{f.version_id}` | {f.problem} |" for f in findings]
    key = "evidence-integrity-" + "".join(c if c.isalnum() else "-" for c in scope.lower())[:80]
    return str(create_markdown_artifact("\n".join(lines), key=key.strip("-"), description=f"evidence integrity, {scope}"))

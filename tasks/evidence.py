"""Tasks on a school's evidence: read which versions need work, change them in the store, record it in the DB."""
from dataclasses import dataclass
from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.concurrency.sync import concurrency
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from infra import repository as repo
from infra.db import session_scope
from infra.evidence import get_evidence_store
from models.campaign import Campaign, SchoolEnrolment
from models.clock import utcnow
from models.errors import EvidenceMissing
from models.evidence import LOCKED_STATES, Evidence
from models.org import Unit
from models.policy import Policy
from tasks.common import TASK_DEFAULTS

STORE_LIMIT = "evidence-store"
"""The Prefect global concurrency limit every batch of store calls occupies a slot of (created by serve-flows)."""


@dataclass(frozen=True)
class StoredRef:
    """One evidence version to act on."""

    id: int
    key: str
    version_id: str


def _refs(enrolment_id: int, *conditions) -> list[StoredRef]:
    with session_scope() as session:
        rows = session.execute(select(Evidence.id, Evidence.key, Evidence.version_id).where(
            Evidence.school_enrolment_id == enrolment_id, *conditions).order_by(Evidence.id)).all()
    return [StoredRef(*row) for row in rows]


@task(**TASK_DEFAULTS)
def evidence_to_hold(enrolment_id: int) -> list[StoredRef]:
    """Versions of the school not yet recorded as held (so a rerun resumes where the last one stopped)."""
    return _refs(enrolment_id, Evidence.held.is_(False))


@task(**TASK_DEFAULTS)
def evidence_held(enrolment_id: int) -> list[StoredRef]:
    """Versions of the school recorded as held."""
    return _refs(enrolment_id, Evidence.held.is_(True))


@task(**TASK_DEFAULTS)
def evidence_to_retain(enrolment_id: int, until: datetime) -> list[StoredRef]:
    """Versions of the school not yet retained until `until`."""
    return _refs(enrolment_id, Evidence.retained_until.is_(None) | (Evidence.retained_until < until))


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
    with session_scope() as session:
        return session.execute(update(Evidence).where(Evidence.id.in_(ids)).values(held=on)).rowcount


@task(**TASK_DEFAULTS)
def record_retentions(ids: list[int], until: datetime) -> int:
    """Record in the DB that these versions are retained until `until`."""
    with session_scope() as session:
        return session.execute(update(Evidence).where(Evidence.id.in_(ids)).values(retained_until=until)).rowcount


@task(**TASK_DEFAULTS)
def mark_school_held(enrolment_id: int) -> bool:
    """The school counts as locked once every version is held: stamp it then (and only while still locked)."""
    with session_scope() as session:
        unheld = session.scalar(select(Evidence.id).where(
            Evidence.school_enrolment_id == enrolment_id, Evidence.held.is_(False)).limit(1))
        if unheld is not None:
            return False
        session.execute(update(SchoolEnrolment).where(
            SchoolEnrolment.id == enrolment_id, SchoolEnrolment.state.in_(LOCKED_STATES),
            SchoolEnrolment.evidence_held_at.is_(None)).values(evidence_held_at=utcnow()))
        return session.scalar(select(SchoolEnrolment.evidence_held_at).where(
            SchoolEnrolment.id == enrolment_id)) is not None


@task(**TASK_DEFAULTS)
def clear_school_held(enrolment_id: int) -> None:
    """The school is open again (rectification): it no longer counts as locked."""
    with session_scope() as session:
        session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment_id)
                        .values(evidence_held_at=None))


@task(**TASK_DEFAULTS)
def archive_until(enrolment_id: int) -> datetime:
    """When certified evidence may be deleted: the certification time plus the policy's archive years."""
    with session_scope() as session:
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
        certified = enrolment.updated_at
    year = certified.year + policy.evidence.archive_years
    return certified.replace(year=year, day=min(certified.day, 28 if certified.month == 2 else 31))


@dataclass(frozen=True)
class RecordedVersion:
    """An evidence version as recorded: what the store must still hold."""

    id: int
    school: str
    key: str
    version_id: str
    sha256: str


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
    school_unit, county_unit = aliased(Unit), aliased(Unit)
    query = (select(Evidence.id, school_unit.code, Evidence.key, Evidence.version_id, Evidence.sha256)
             .join(SchoolEnrolment, SchoolEnrolment.id == Evidence.school_enrolment_id)
             .join(Campaign, Campaign.id == Evidence.campaign_id)
             .join(school_unit, school_unit.id == SchoolEnrolment.school_id)
             .join(county_unit, county_unit.id == school_unit.parent_id)
             .where(Campaign.code == campaign).order_by(Evidence.id))
    if county:
        query = query.where(county_unit.code == county)
    if school:
        query = query.where(school_unit.code == school)
    with session_scope() as session:
        repo.campaign_by_code(session, campaign)  # NotFound names an unknown campaign
        return [RecordedVersion(*row) for row in session.execute(query).all()]


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

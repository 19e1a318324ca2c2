"""What must hold after any fault: checked on the database (and the evidence store) once the system has settled.

Each check returns the list of violations it found (empty when it holds); `assert_settled` runs them all and fails
naming every violation. Reusable by every fault test: pass the campaign and the decisions the clients saw accepted.
"""
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from infra import repository as repo
from infra.db import session_scope
from infra.evidence.store import EvidenceStore
from models.audit import AuditEntry, verify_chain
from models.campaign import Campaign, SchoolEnrolment
from models.enums import SchoolState, TaskStatus
from models.evidence import Evidence, EvidenceUpload, UploadStatus
from models.human_task import HumanTask
from models.lifecycle import TASK_OPENED_ON_ENTRY
from models.outbox import OutboxEntry, OutboxStatus


def _campaign_id(session: Session, campaign: str) -> int:
    return session.scalar(select(Campaign.id).where(Campaign.code == campaign))


def command_key(entry: OutboxEntry) -> str:
    """The audit command key the dispatcher applies an outbox entry under."""
    return f"task:{entry.task_id}:{entry.event}"


def decisions_applied_once(session: Session, campaign: str, accepted: Iterable[int]) -> list[str]:
    """Every accepted decision is in the outbox and settled; an applied one has exactly one audit entry (one move of
    its school), a refused one none; nothing is left pending."""
    problems = []
    entries = {e.id: e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.campaign == campaign))}
    keys = Counter(session.scalars(select(AuditEntry.command_key).where(
        AuditEntry.campaign_id == _campaign_id(session, campaign), AuditEntry.command_key.like("task:%"))))
    for decision in accepted:
        if decision not in entries:
            problems.append(f"decision {decision} was answered 202 but is not in the outbox")
    for entry in entries.values():
        if entry.status == OutboxStatus.PENDING:
            problems.append(f"decision {entry.id} is still pending")
        if entry.event is None:
            continue  # a grading decision moves no school
        moves = keys.get(command_key(entry), 0)
        if entry.status == OutboxStatus.APPLIED and moves != 1:
            problems.append(f"decision {entry.id} (task {entry.task_id}) is applied with {moves} audit entries")
        if entry.status == OutboxStatus.REFUSED and moves:
            problems.append(f"decision {entry.id} (task {entry.task_id}) is refused but moved its school")
        if entry.attempts != 1 and entry.status != OutboxStatus.PENDING:
            problems.append(f"decision {entry.id} was settled {entry.attempts} times")
    return problems


def tasks_consistent(session: Session, campaign: str) -> list[str]:
    """Each task's status agrees with its completion fields and its outbox entry; each school waits on exactly the
    one school-level task its state opens."""
    problems = []
    campaign_id = _campaign_id(session, campaign)
    entries = {e.task_id: e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.campaign == campaign))}
    open_kinds: dict[int, list[str]] = defaultdict(list)
    for task in session.scalars(select(HumanTask).where(HumanTask.campaign_id == campaign_id)):
        entry = entries.get(task.id)
        if task.status == TaskStatus.OPEN:
            open_kinds[task.school_enrolment_id].append(task.kind)
            if task.completed_at is not None:
                problems.append(f"task {task.id} is open with a completion time")
        elif task.completed_at is None:
            problems.append(f"task {task.id} is {task.status} without a completion time")
        if entry is None:
            continue
        if entry.status == OutboxStatus.APPLIED and (task.status != TaskStatus.COMPLETED
                                                     or task.decided_by != entry.actor or task.decision is None):
            problems.append(f"task {task.id}: decision {entry.id} applied, but the task is {task.status} "
                            f"decided by {task.decided_by}")
        if entry.status == OutboxStatus.REFUSED and task.status == TaskStatus.COMPLETED:
            problems.append(f"task {task.id}: decision {entry.id} refused, but the task stays completed")
    school_kinds = set(TASK_OPENED_ON_ENTRY.values())
    for school in session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.campaign_id == campaign_id)):
        waiting = sorted(k for k in open_kinds.get(school.id, []) if k in school_kinds)
        expected = [TASK_OPENED_ON_ENTRY[school.state]] if school.state in TASK_OPENED_ON_ENTRY else []
        if waiting != expected:
            problems.append(f"school enrolment {school.id} in {school.state} has open school tasks {waiting}, "
                            f"expected {expected}")
    return problems


def school_versions_match_audit(session: Session, campaign: str) -> list[str]:
    """Each school's audit entries chain its states from plan_drafting to where it is, one version each."""
    problems = []
    campaign_id = _campaign_id(session, campaign)
    moves: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in session.scalars(select(AuditEntry).where(
            AuditEntry.campaign_id == campaign_id, AuditEntry.school_enrolment_id.is_not(None),
            AuditEntry.to_state.is_not(None)).order_by(AuditEntry.id)):
        moves[entry.school_enrolment_id].append(entry)
    for school in session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.campaign_id == campaign_id)):
        states = [SchoolState.PLAN_DRAFTING]
        for entry in moves.get(school.id, []):
            if entry.from_state != states[-1]:
                problems.append(f"school enrolment {school.id}: audit entry {entry.id} moves from {entry.from_state}, "
                                f"but the school was in {states[-1]}")
            states.append(entry.to_state)
        if school.state != states[-1] or school.version != len(states):
            problems.append(f"school enrolment {school.id} is {school.state} v{school.version}, its audit entries "
                            f"say {states[-1]} v{len(states)}")
    return problems


def audit_chain_verifies(session: Session) -> list[str]:
    """`tisheng audit verify`: every link and content hash of the chain."""
    report = verify_chain(repo.audit_entries(session))
    return [] if report.ok else [f"audit chain broken at entry {report.broken_at}: {report.problem}"]


def evidence_matches_store(session: Session, store: EvidenceStore, campaign: str) -> list[str]:
    """No evidence record without its object version, and no object version under the campaign without a record
    (or an upload still open for it); the closeout's reports are not evidence."""
    problems = []
    campaign_id = _campaign_id(session, campaign)
    records = {(e.key, e.version_id): e for e in session.scalars(select(Evidence).where(
        Evidence.campaign_id == campaign_id))}
    open_uploads = set(session.scalars(select(EvidenceUpload.key).where(
        EvidenceUpload.campaign_id == campaign_id, EvidenceUpload.status == UploadStatus.PENDING)))
    stored = {(v.key, v.version_id): v for v in store.versions(f"{campaign}/")
              if not v.key.startswith(f"{campaign}/closeout/")}
    for (key, version), record in records.items():
        if (key, version) not in stored:
            problems.append(f"evidence {record.id} ({key}) has no object version {version}")
        elif stored[(key, version)].size != record.size:
            problems.append(f"evidence {record.id} ({key}) is {record.size} bytes, its object "
                            f"{stored[(key, version)].size}")
    for key, version in stored.keys() - records.keys():
        if key not in open_uploads:
            problems.append(f"object {key} version {version} has no evidence record")
    return problems


def assert_settled(campaign: str, accepted: Iterable[int], store: EvidenceStore | None = None) -> None:
    """Every invariant at once; fails listing each violation."""
    with session_scope() as session:
        problems = [*decisions_applied_once(session, campaign, accepted), *tasks_consistent(session, campaign),
                    *school_versions_match_audit(session, campaign), *audit_chain_verifies(session)]
        if store is not None:
            problems += evidence_matches_store(session, store, campaign)
    assert not problems, "invariants violated:\n" + "\n".join(problems)

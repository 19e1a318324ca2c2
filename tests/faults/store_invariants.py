"""Invariants over the evidence records and the evidence store, checked after a fault: each returns the problems found."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from infra import repository as repo
from infra.db import session_scope
from infra.evidence import EvidenceStore, LocalEvidenceStore
from infra.evidence.local import VERSIONS_DIR
from models.audit import verify_chain
from models.campaign import Campaign
from models.evidence import Evidence, EvidenceUpload, UploadStatus


def campaign_evidence(campaign: str) -> list[Evidence]:
    """The campaign's evidence records, by id (detached)."""
    with session_scope() as session:
        rows = list(session.scalars(select(Evidence).join(Campaign, Campaign.id == Evidence.campaign_id)
                                    .where(Campaign.code == campaign).order_by(Evidence.id)))
        session.expunge_all()
        return rows


def records_match_objects(store: EvidenceStore, campaign: str) -> list[str]:
    """Every record of the campaign has its object, and every object under the campaign's prefix has its record."""
    recorded = {(e.key, e.version_id) for e in campaign_evidence(campaign)}
    stored = {(v.key, v.version_id) for v in store.versions(f"{campaign}/")}
    return ([f"record without object: {k} {v}" for k, v in sorted(recorded - stored)]
            + [f"object without record: {k} {v}" for k, v in sorted(stored - recorded)])


def recorded_holds_are_real(store: EvidenceStore, campaign: str, all_held: bool = False) -> list[str]:
    """A record marked held is under legal hold in the store (and, with `all_held`, every record is held)."""
    problems = []
    for e in campaign_evidence(campaign):
        if all_held and not e.held:
            problems.append(f"evidence {e.id} is not recorded as held")
        if e.held and not store.legal_hold(e.key, e.version_id):
            problems.append(f"evidence {e.id} is recorded as held but has no legal hold in the store")
    return problems


def audit_chain_problems() -> list[str]:
    """The whole audit chain verifies."""
    with session_scope() as session:
        report = verify_chain(repo.audit_entries(session))
    return [] if report.ok else [f"audit chain broken at entry {report.broken_at}: {report.problem}"]


def audit_entry_count() -> int:
    """How many audit entries there are (a retried side effect must add none)."""
    with session_scope() as session:
        return sum(1 for _ in repo.audit_entries(session))


def local_store_leftovers(store: LocalEvidenceStore) -> list[str]:
    """No partial upload in incoming/, no temp file, no version's bytes without its sidecar or sidecar without bytes."""
    problems = [f"partial upload left: {p.name}" for p in store.incoming.iterdir()] if store.incoming.exists() else []
    for dirpath, _, files in os.walk(store.objects):
        names = set(files)
        for name in files:
            path = Path(dirpath) / name
            if name.startswith(".tmp-"):
                problems.append(f"temp file left: {path}")
            elif Path(dirpath).name == VERSIONS_DIR and not name.endswith(".json") and f"{name}.json" not in names:
                problems.append(f"bytes without a version (no sidecar): {path}")
            elif name.endswith(".json") and name[:-5] not in names:
                problems.append(f"sidecar without bytes: {path}")
    return problems


def pending_uploads(campaign: str) -> list[EvidenceUpload]:
    """The campaign's uploads still pending (detached)."""
    with session_scope() as session:
        rows = list(session.scalars(select(EvidenceUpload).join(Campaign, Campaign.id == EvidenceUpload.campaign_id)
                                    .where(Campaign.code == campaign, EvidenceUpload.status == UploadStatus.PENDING)))
        session.expunge_all()
        return rows

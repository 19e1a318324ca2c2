"""The audit chain's head in the database, and its checkpoints in the evidence store (either backend)."""
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from infra.evidence.store import EvidenceStore, StoredVersion
from models.audit import AuditEntry
from models.audit_checkpoint import CHECKPOINT_PREFIX, MAX_CHECKPOINT_BYTES, ChainHead, Checkpoint, read_checkpoints

CHECKPOINT_TYPE = "application/json"


def chain_head(session: Session) -> ChainHead | None:
    """The newest entry and the number of entries, read in one statement (one snapshot); None for an empty log."""
    total = select(func.count()).select_from(AuditEntry).scalar_subquery()
    row = session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash, total).order_by(AuditEntry.id.desc()).limit(1)).first()
    return ChainHead(entry_id=row[0], entry_hash=row[1], count=row[2]) if row else None


def stored_checkpoint_objects(store: EvidenceStore) -> Iterator[tuple[str, str, bytes]]:
    """Every version of every object under the checkpoint prefix: key, version id, bytes (at most one past the cap)."""
    for version in store.versions(CHECKPOINT_PREFIX):
        yield version.key, version.version_id, store.head(version.key, version.version_id, MAX_CHECKPOINT_BYTES + 1)


def stored_checkpoints(store: EvidenceStore) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in the store, and a line for each object under the prefix that is not a sound one."""
    return read_checkpoints(stored_checkpoint_objects(store))


def newest_checkpoint(store: EvidenceStore) -> Checkpoint | None:
    """The checkpoint under the newest key (keys sort by the time written), its first version; None if none."""
    first: dict[str, StoredVersion] = {}
    for version in store.versions(CHECKPOINT_PREFIX):  # by key, oldest version first
        first.setdefault(version.key, version)
    for key in sorted(first, reverse=True):
        data = store.head(key, first[key].version_id, MAX_CHECKPOINT_BYTES + 1)
        found, _ = read_checkpoints([(key, first[key].version_id, data)])
        if found:
            return found[0]
    return None


def put_checkpoint(store: EvidenceStore, checkpoint: Checkpoint) -> StoredVersion:
    """Store the checkpoint under its key, once: a retried put finds the version already there."""
    if (existing := store.latest(checkpoint.key)) is not None:
        return existing
    data = checkpoint.to_json()
    return store.put(checkpoint.key, io.BytesIO(data), len(data), CHECKPOINT_TYPE)


def retain_checkpoint(store: EvidenceStore, key: str, version_id: str, until: datetime) -> None:
    """COMPLIANCE retention on the stored checkpoint: neither it nor its date can be removed before `until`."""
    store.set_retention(key, version_id, until)

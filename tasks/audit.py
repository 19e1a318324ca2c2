"""Tasks of the audit checkpoint: read the chain's head, find the newest checkpoint, store one, retain it."""
from dataclasses import dataclass
from datetime import datetime

from prefect import task

from application import audit
from infra import audit_checkpoints as anchors
from infra.evidence import get_evidence_store
from infra.settings import get_settings
from infra.unit_of_work import committed
from models.audit_checkpoint import ChainHead, Checkpoint, years_later
from tasks.common import TASK_DEFAULTS


@dataclass(frozen=True)
class StoredCheckpoint:
    """Where a checkpoint was stored."""

    key: str
    version_id: str


@task(**TASK_DEFAULTS)
def read_chain_head() -> ChainHead | None:
    """The audit chain's newest entry and entry count (None for an empty log)."""
    return committed(audit.chain_head)


@task(**TASK_DEFAULTS)
def newest_checkpoint() -> Checkpoint | None:
    """The checkpoint written last, read back from the evidence store."""
    return anchors.newest_checkpoint(get_evidence_store())


@task(**TASK_DEFAULTS)
def store_checkpoint(checkpoint: Checkpoint) -> StoredCheckpoint:
    """Put the checkpoint object (a retry finds the one already put)."""
    version = anchors.put_checkpoint(get_evidence_store(), checkpoint)
    return StoredCheckpoint(version.key, version.version_id)


@task(**TASK_DEFAULTS)
def retain_checkpoint(stored: StoredCheckpoint, written_at: datetime) -> datetime:
    """COMPLIANCE retention for TISHENG_AUDIT_CHECKPOINT_YEARS from when it was written; the date set."""
    until = years_later(written_at, get_settings().audit_checkpoint_years)
    anchors.retain_checkpoint(get_evidence_store(), stored.key, stored.version_id, until)
    return until

"""The audit checkpoint: anchor the audit chain's head in the evidence store under COMPLIANCE retention.

Deployed on a daily cron (23:55 Asia/Shanghai), run at the end of every year-end closeout, and on demand by
`tisheng audit checkpoint`; `tisheng audit verify` checks the chain against every checkpoint written.
"""
from datetime import datetime

from prefect import flow
from pydantic import BaseModel

from models.audit_checkpoint import checkpoint_of, skip_reason
from models.clock import utcnow
from tasks.audit import newest_checkpoint, read_chain_head, retain_checkpoint, store_checkpoint


class CheckpointOutcome(BaseModel):
    """A checkpoint written (key, entry, count, retained until), or skipped with the reason."""

    written: bool
    entry_id: int | None = None
    count: int = 0
    key: str | None = None
    retained_until: datetime | None = None
    skipped: str | None = None

    @property
    def summary(self) -> str:
        """One line for the CLI and the closeout."""
        if not self.written:
            return f"audit checkpoint skipped: {self.skipped}"
        return (f"audit checkpoint written at entry {self.entry_id} ({self.count} entries): {self.key}, "
                f"COMPLIANCE retention until {self.retained_until:%Y-%m-%d}")


@flow(name="audit-checkpoint", flow_run_name="audit checkpoint", persist_result=False)
def audit_checkpoint() -> CheckpointOutcome:
    """Write the chain's head as a checkpoint, unless it has not moved since the newest one."""
    head = read_chain_head()
    if reason := skip_reason(head, newest_checkpoint()):
        return CheckpointOutcome(written=False, entry_id=head and head.entry_id, count=head.count if head else 0,
                                 skipped=reason)
    checkpoint = checkpoint_of(head, utcnow())
    stored = store_checkpoint(checkpoint)
    until = retain_checkpoint(stored, checkpoint.written_at)
    return CheckpointOutcome(written=True, entry_id=head.entry_id, count=head.count, key=stored.key,
                             retained_until=until)

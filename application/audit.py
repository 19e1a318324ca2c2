"""The hash-chained audit log: its head (what a checkpoint anchors), and the check of every entry and checkpoint."""
from infra import audit_checkpoints as anchors
from infra import repository as repo
from infra.evidence import get_evidence_store
from infra.evidence.store import EvidenceStore
from infra.unit_of_work import UnitOfWork
from models.audit_checkpoint import ChainHead
from models.audit_verify import AuditVerdict, verify_against_checkpoints


def chain_head(uow: UnitOfWork) -> ChainHead | None:
    """The audit chain's newest entry and entry count (None for an empty log)."""
    return anchors.chain_head(uow.session)


def verify_audit_chain(uow: UnitOfWork, store: EvidenceStore | None = None) -> AuditVerdict:
    """Check every entry's link and hash, and the chain against every checkpoint in the evidence store.

    The checkpoints are read first; the store's DomainError if they cannot be read at all."""
    checkpoints, store_problems = anchors.stored_checkpoints(store if store is not None else get_evidence_store())
    return verify_against_checkpoints(repo.audit_entries(uow.session), checkpoints, store_problems)

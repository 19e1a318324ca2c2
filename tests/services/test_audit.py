"""The audit chain on the fast tier: its head, and the check of every entry against the stored checkpoints."""
from datetime import UTC, datetime

import pytest

from application.audit import chain_head, verify_audit_chain
from infra import audit_checkpoints as anchors
from infra import repository as repo
from infra.evidence.local import LocalEvidenceStore
from models.audit import AuditEntry
from models.audit_checkpoint import checkpoint_of


@pytest.fixture
def store(tmp_path):
    """An empty local evidence store."""
    local = LocalEvidenceStore(tmp_path / "evidence", "test-secret")
    local.ensure_ready()
    return local


def append(uow, *events: str) -> None:
    repo.append_audit(uow.session, [AuditEntry(actor="test", event=e) for e in events])
    uow.session.flush()


def test_an_empty_log_has_no_head_and_verifies(uow, store):
    assert chain_head(uow) is None
    verdict = verify_audit_chain(uow, store)
    assert verdict.ok and (verdict.entries, verdict.checkpoints, verdict.newest) == (0, 0, None)


def test_the_chain_verifies_against_its_checkpoint_and_counts_newer_entries(uow, store):
    append(uow, "one", "two")
    head = chain_head(uow)
    assert head.count == 2
    anchors.put_checkpoint(store, checkpoint_of(head, datetime.now(UTC)))
    append(uow, "three")
    verdict = verify_audit_chain(uow, store)
    assert verdict.ok and (verdict.entries, verdict.checkpoints, verdict.unanchored) == (3, 1, 1)
    assert verdict.newest.entry_id == head.entry_id


def test_a_rewritten_entry_is_named(uow, store):
    append(uow, "one", "two")
    rewritten = uow.session.get(AuditEntry, chain_head(uow).entry_id)
    rewritten.actor = "someone else"
    uow.session.flush()
    verdict = verify_audit_chain(uow, store)
    assert not verdict.ok and verdict.problems == (f"entry {rewritten.id} rewritten: its content no longer matches "
                                                   "its entry_hash",)

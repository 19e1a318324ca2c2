"""The hash chain detects altered, removed and reordered entries."""
from datetime import UTC, datetime

from models.audit import GENESIS_HASH, AuditEntry, seal, verify_chain


def chain(n: int) -> list[AuditEntry]:
    entries, prev = [], GENESIS_HASH
    for i in range(n):
        entry = AuditEntry(id=i + 1, actor="a", event="file_plan", from_state="x", to_state="y",
                           payload={"n": i, "名": "学校"}, created_at=datetime(2022, 11, 25, tzinfo=UTC))
        seal(entry, prev)
        prev = entry.entry_hash
        entries.append(entry)
    return entries


def test_intact_chain_verifies():
    report = verify_chain(chain(5))
    assert report.ok and report.entries == 5


def test_altered_payload_is_found():
    entries = chain(5)
    entries[2].payload = {"n": 99, "名": "学校"}
    report = verify_chain(entries)
    assert not report.ok and report.broken_at == 3 and "content" in report.problem


def test_removed_entry_is_found():
    entries = chain(5)
    del entries[1]
    report = verify_chain(entries)
    assert report.broken_at == 3 and "prev_hash" in report.problem


def test_empty_log_verifies():
    assert verify_chain([]).ok

"""The chain checked against its checkpoints: truncation, deletion, rewriting and a replaced tail are each named."""
from datetime import UTC, datetime, timedelta

import pytest

from models.audit import GENESIS_HASH, AuditEntry, seal
from models.audit_checkpoint import (
    CHECKPOINT_PREFIX, MAX_CHECKPOINT_BYTES, ChainHead, Checkpoint, checkpoint_of, read_checkpoints, skip_reason,
    years_later,
)
from models.audit_verify import MAX_BREAKS, verify_against_checkpoints

T0 = datetime(2022, 11, 25, 8, tzinfo=UTC)


def entry(n: int, created_at: datetime | None = None, **payload) -> AuditEntry:
    """Entry number n (id n), created n minutes after T0 unless told."""
    return AuditEntry(id=n, actor="county-office", event="file_plan", from_state="plan_drafting",
                      to_state="plan_review", payload={"n": n, "学校": "一中", **payload},
                      created_at=created_at or T0 + timedelta(minutes=n))


def reseal(entries: list[AuditEntry], start: int = 0) -> list[AuditEntry]:
    """Recompute every link and hash from position `start` on, as someone covering their tracks would."""
    prev = entries[start - 1].entry_hash if start else GENESIS_HASH
    for e in entries[start:]:
        seal(e, prev)
        prev = e.entry_hash
    return entries


def chain(n: int) -> list[AuditEntry]:
    return reseal([entry(i) for i in range(1, n + 1)])


def checkpoint(entries: list[AuditEntry], at: int, written_at: datetime | None = None) -> Checkpoint:
    """A checkpoint of the chain's head at entry `at` (an hour after T0 plus `at` minutes unless told)."""
    e = next(x for x in entries if x.id == at)
    count = sum(1 for x in entries if x.id <= at)
    return checkpoint_of(ChainHead(entry_id=e.id, entry_hash=e.entry_hash, count=count),
                         written_at or T0 + timedelta(hours=1, minutes=at))


def test_an_intact_chain_agrees_with_every_checkpoint():
    entries = chain(9)
    verdict = verify_against_checkpoints(entries, [checkpoint(entries, 3), checkpoint(entries, 6)])
    assert verdict.ok and verdict.problems == ()
    assert (verdict.entries, verdict.checkpoints, verdict.newest.entry_id, verdict.unanchored) == (9, 2, 6, 3)


def test_without_checkpoints_only_the_chain_is_checked():
    verdict = verify_against_checkpoints(chain(4), [])
    assert verdict.ok and verdict.newest is None and verdict.unanchored == 4


def test_deleting_the_newest_entries_is_named_as_truncation():
    entries = chain(6)
    cp = checkpoint(entries, 6)
    verdict = verify_against_checkpoints(entries[:3], [cp])
    assert verdict.problems == (
        f"audit log truncated after entry 3: {cp.label} recorded entry 6 as entry number 6; the log now has 3 entries",)


def test_the_chain_alone_does_not_see_the_truncation():
    entries = chain(6)
    assert verify_against_checkpoints(entries[:3], []).ok  # why checkpoints exist


def test_an_emptied_log_is_truncated():
    entries = chain(2)
    (line,) = verify_against_checkpoints([], [checkpoint(entries, 2)]).problems
    assert line.startswith("audit log truncated: it is empty") and "entry 2" in line


def test_truncation_past_several_checkpoints_is_one_line():
    entries = chain(8)
    (line,) = verify_against_checkpoints(entries[:2], [checkpoint(entries, n) for n in (4, 6, 8)]).problems
    assert line.startswith("audit log truncated after entry 2:") and "entry 8" in line
    assert "(3 checkpoints name entries it no longer has)" in line


def test_a_deleted_checkpointed_entry_inside_the_chain_is_named():
    entries = chain(6)
    cp = checkpoint(entries, 3)
    del entries[2]
    problems = verify_against_checkpoints(entries, [cp]).problems
    assert problems == (
        "chain broken at entry 4: its prev_hash is not the hash of entry 2 (entries deleted or reordered)",
        f"entry 3 deleted: {cp.label} recorded it as entry number 3; 1 of the entries up to it are gone",
    )


def test_deleted_and_relinked_entries_are_found_by_the_count_and_hash():
    entries = chain(6)
    cp = checkpoint(entries, 5)
    del entries[1]  # entry 2 removed, the rest re-sealed: the chain itself looks whole
    reseal(entries, 1)
    (line,) = verify_against_checkpoints(entries, [cp]).problems
    assert line.startswith("entries 1–5 rewritten: at entry 5")
    assert line.endswith("it is now entry number 4, the checkpoint counted 5")


def test_a_rewritten_payload_without_new_hashes_is_pinned_to_its_entry():
    entries = chain(5)
    cp = checkpoint(entries, 5)
    entries[1].payload = {"n": 2, "学校": "二中"}
    problems = verify_against_checkpoints(entries, [cp]).problems
    assert problems == ("entry 2 rewritten: its content no longer matches its entry_hash",)


def test_a_rewrite_with_recomputed_hashes_is_named_between_the_checkpoints_around_it():
    entries = chain(9)
    cps = [checkpoint(entries, n) for n in (3, 6, 9)]
    entries[4].payload = {"n": 5, "学校": "二中"}  # entry 5, created before the checkpoint at 6
    reseal(entries, 4)
    (line,) = verify_against_checkpoints(entries, cps).problems
    assert line.startswith(f"entries 4–6 rewritten: at entry 6 {cps[1].label} recorded hash "
                           f"{cps[1].entry_hash[:12]}…")
    assert line.endswith("(and the 1 later checkpoint(s) up to entry 9 disagree too)")


def test_a_rewrite_of_the_checkpointed_entry_itself_names_that_entry():
    entries = chain(4)
    cps = [checkpoint(entries, 3), checkpoint(entries, 4)]
    entries[3].payload = {"n": 4, "学校": "三中"}
    reseal(entries, 3)
    (line,) = verify_against_checkpoints(entries, cps).problems
    assert line.startswith("entry 4 rewritten: at entry 4")


def test_a_replaced_tail_with_the_same_ids_is_named():
    entries = chain(6)
    cp = checkpoint(entries, 6)
    after = cp.written_at + timedelta(hours=2)
    forged = reseal(entries[:3] + [entry(n, after + timedelta(minutes=n), forged=True) for n in (4, 5, 6)], 3)
    (line,) = verify_against_checkpoints(forged, [cp]).problems
    assert line.startswith("tail replaced from entry 4: entry 4 and later ones were created after the checkpoint")
    assert f"at entry 6 {cp.label} recorded hash {cp.entry_hash[:12]}…, it now has {forged[-1].entry_hash[:12]}…" in line


def test_a_truncated_tail_grown_again_under_the_same_ids_is_named():
    entries = chain(6)
    cp = checkpoint(entries, 6)
    after = cp.written_at + timedelta(minutes=1)
    regrown = reseal(entries[:3] + [entry(4, after)], 3)  # SQLite hands out id 4 again
    (line,) = verify_against_checkpoints(regrown, [cp]).problems
    assert line.startswith("audit log truncated and re-grown: entries from 4 on were created after")
    assert line.endswith("the log now ends at entry 4 with 4 entries")


def test_a_replaced_tail_under_new_ids_is_named_as_the_deleted_checkpointed_entry():
    entries = chain(6)
    cp = checkpoint(entries, 6)
    later = reseal(entries[:3] + [entry(n, cp.written_at + timedelta(minutes=n)) for n in (7, 8)], 3)
    (line,) = verify_against_checkpoints(later, [cp]).problems
    assert line == f"entry 6 deleted: {cp.label} recorded it as entry number 6; 3 of the entries up to it are gone"


def test_a_forged_checkpoint_cannot_hide_the_genuine_one():
    entries = chain(6)
    genuine = checkpoint(entries, 6)
    entries[5].payload = {"n": 6, "forged": True}
    reseal(entries, 5)
    forged = checkpoint(entries, 6, written_at=genuine.written_at + timedelta(days=1))
    verdict = verify_against_checkpoints(entries, [genuine, forged])
    (line,) = verdict.problems
    assert line.startswith("entries 1–6 rewritten: at entry 6 " + genuine.label)
    assert verdict.newest == forged


def test_store_problems_come_first_and_fail_the_verdict():
    verdict = verify_against_checkpoints(chain(2), [], ["checkpoint object x was written 2 times"])
    assert not verdict.ok and verdict.problems == ("checkpoint object x was written 2 times",)


def test_many_broken_entries_are_counted_past_the_limit():
    entries = chain(MAX_BREAKS + 10)
    for e in entries:
        e.payload = {"all": "rewritten"}
    problems = verify_against_checkpoints(entries, []).problems
    assert len(problems) == MAX_BREAKS + 1 and problems[-1] == "… and 10 more broken entries"


def test_unanchored_counts_the_entries_after_the_newest_intact_checkpoint():
    entries = chain(10)
    assert verify_against_checkpoints(entries, [checkpoint(entries, 7)]).unanchored == 3


# --- the stored objects -------------------------------------------------------------------------------------------


def test_a_checkpoint_round_trips_through_its_stored_bytes():
    cp = checkpoint(chain(3), 3)
    assert cp.key.startswith(CHECKPOINT_PREFIX) and cp.key.endswith("-3.json")
    assert read_checkpoints([(cp.key, "v1", cp.to_json())]) == ([cp], [])


def test_keys_sort_by_the_time_they_were_written():
    entries = chain(3)
    early = checkpoint(entries, 3, datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    late = checkpoint(entries, 2, datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC))
    assert early.key == "audit/checkpoints/20260102T030405.000006Z-3.json" and early.key < late.key


def test_a_key_written_twice_is_an_overwrite_attempt_and_both_versions_count():
    entries = chain(3)
    cp = checkpoint(entries, 3)
    forged = cp.model_copy(update={"entry_hash": "f" * 64})
    found, problems = read_checkpoints([(cp.key, "v1", cp.to_json()), (cp.key, "v2", forged.to_json())])
    assert found == [cp, forged]
    assert problems == [f"checkpoint object {cp.key} was written 2 times (an overwrite attempt); every version is "
                        "checked"]


@pytest.mark.parametrize(("data", "expected"), [
    (b"not json", "is not a checkpoint: the object: Invalid JSON"),
    (b'{"entry_id": 3, "count": 3, "written_at": "2026-01-01T00:00:00Z"}', "is not a checkpoint: entry_hash: Field"),
    (b'{"entry_id": 3, "entry_hash": "ab", "count": 3, "written_at": "2026-01-01T00:00:00Z"}',
     "is not a checkpoint: entry_hash: String should match pattern"),
    (b'{"entry_id": 3, "entry_hash": "' + b"a" * 64 + b'", "count": 3, "written_at": "2026-01-01T00:00:00"}',
     "is not a checkpoint: written_at: Input should have timezone info"),
    (b" " * (MAX_CHECKPOINT_BYTES + 1), f"is not a checkpoint: larger than {MAX_CHECKPOINT_BYTES} bytes"),
])
def test_an_object_that_is_not_a_checkpoint_is_named(data, expected):
    found, (problem,) = read_checkpoints([("audit/checkpoints/x.json", "v9", data)])
    assert found == [] and problem.startswith("checkpoint object audit/checkpoints/x.json version v9 " + expected)


def test_a_checkpoint_under_a_key_that_does_not_name_it_is_flagged_and_still_checked():
    cp = checkpoint(chain(3), 3)
    found, (problem,) = read_checkpoints([("audit/checkpoints/other.json", "v1", cp.to_json())])
    assert found == [cp] and "records entry 3 written at" in problem and "which its key does not name" in problem


# --- when to write one, for how long -----------------------------------------------------------------------------


def test_a_checkpoint_is_skipped_when_the_head_has_not_moved():
    entries = chain(3)
    cp = checkpoint(entries, 3)
    head = ChainHead(entry_id=3, entry_hash=entries[2].entry_hash, count=3)
    assert skip_reason(head, cp) == f"the head (entry 3) has not moved since {cp.label}"
    assert skip_reason(head, checkpoint(entries, 2)) is None
    assert skip_reason(head, None) is None
    assert skip_reason(None, None).startswith("the audit log is empty")


def test_a_head_with_the_same_id_but_another_hash_is_due():
    entries = chain(3)
    cp = checkpoint(entries, 3)
    assert skip_reason(ChainHead(entry_id=3, entry_hash="e" * 64, count=3), cp) is None


def test_retention_runs_whole_calendar_years():
    assert years_later(datetime(2026, 12, 1, 21, 49, tzinfo=UTC), 10) == datetime(2036, 12, 1, 21, 49, tzinfo=UTC)
    assert years_later(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)

"""Verifying the audit chain against its checkpoints: every link and content hash, and every checkpointed head.

The chain alone proves that no entry was altered or removed *inside* it; only the checkpoints, kept where the
database cannot reach, prove that its tail is the one that was there when they were written.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from models.audit import GENESIS_HASH, AuditEntry, entry_digest
from models.audit_checkpoint import Checkpoint, newest

MAX_BREAKS = 50  # chain breaks named one by one; past this, counted


class Found(Enum):
    """What the chain holds where a checkpoint points."""

    INTACT = "intact"  # the entry, with the checkpointed hash
    DIFFERS = "differs"  # the entry, with another hash
    DELETED = "deleted"  # no such entry, though later ones exist
    BEYOND = "beyond"  # no such entry: the log ends before it


@dataclass(frozen=True)
class _Outcome:
    checkpoint: Checkpoint
    found: Found
    count: int  # entries of the log up to and including the checkpointed id
    entry_hash: str | None = None


@dataclass(frozen=True)
class AuditVerdict:
    """The chain checked against every checkpoint: figures, and one line per problem found."""

    entries: int
    checkpoints: int
    newest: Checkpoint | None
    unanchored: int  # entries after the highest checkpointed entry found intact
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the chain is whole and agrees with every checkpoint."""
        return not self.problems


def verify_against_checkpoints(entries: Iterable[AuditEntry], checkpoints: Sequence[Checkpoint],
                               store_problems: Sequence[str] = ()) -> AuditVerdict:
    """Walk the entries in id order once, checking each link and content hash and each checkpointed entry."""
    ordered = sorted(checkpoints, key=lambda c: (c.entry_id, c.written_at))
    earliest_after = _earliest_written_from(ordered)
    outcomes: list[_Outcome] = []
    breaks: list[str] = []
    late: list[int] = []  # entries created after a checkpoint at or past them was written: not the ones it saw
    i, count, expected, last = 0, 0, GENESIS_HASH, None
    for entry in entries:
        while i < len(ordered) and ordered[i].entry_id < entry.id:
            outcomes.append(_Outcome(ordered[i], Found.DELETED, count))
            i += 1
        count += 1
        if i < len(ordered) and _aware(entry.created_at) > earliest_after[i]:
            late.append(entry.id)
        if entry.prev_hash != expected:
            breaks.append(f"chain broken at entry {entry.id}: its prev_hash is not the hash of "
                          + (f"entry {last.id}" if last else "the genesis") + " (entries deleted or reordered)")
        if entry_digest(entry, entry.prev_hash) != entry.entry_hash:
            breaks.append(f"entry {entry.id} rewritten: its content no longer matches its entry_hash")
        while i < len(ordered) and ordered[i].entry_id == entry.id:
            found = Found.INTACT if ordered[i].entry_hash == entry.entry_hash else Found.DIFFERS
            outcomes.append(_Outcome(ordered[i], found, count, entry.entry_hash))
            i += 1
        expected, last = entry.entry_hash, entry
    outcomes += [_Outcome(c, Found.BEYOND, count) for c in ordered[i:]]
    if len(breaks) > MAX_BREAKS:
        breaks[MAX_BREAKS:] = [f"… and {len(breaks) - MAX_BREAKS} more broken entries"]
    anchored = max((o.count for o in outcomes if o.found is Found.INTACT), default=0)
    return AuditVerdict(
        entries=count, checkpoints=len(ordered), newest=newest(ordered), unanchored=count - anchored,
        problems=(*store_problems, *breaks, *_checkpoint_problems(outcomes, late, last.id if last else None, count)))


def _checkpoint_problems(outcomes: list[_Outcome], late: list[int], last_id: int | None, count: int) -> list[str]:
    """One line per tampered stretch: a run of disagreeing checkpoints, each deleted entry, the truncation."""
    problems: list[str] = []
    intact_through = 0  # the highest checkpointed entry found intact so far
    run: list[_Outcome] = []
    for outcome in [*outcomes, None]:
        if outcome is not None and outcome.found is Found.DIFFERS:
            run.append(outcome)
            continue
        if run:
            problems.append(_differs(run, intact_through, late))
            run = []
        if outcome is None:
            break
        if outcome.found is Found.INTACT:
            intact_through = outcome.checkpoint.entry_id
        elif outcome.found is Found.DELETED:
            problems.append(_deleted(outcome))
    beyond = [o.checkpoint for o in outcomes if o.found is Found.BEYOND]
    if beyond:
        regrown = [n for n in late if n > intact_through]
        problems.append(_truncated(beyond, last_id, count, regrown[0] if regrown else None))
    return problems


def _differs(run: list[_Outcome], intact_through: int, late: list[int]) -> str:
    first, last = run[0], run[-1]
    cp = first.checkpoint
    hashes = f"{cp.label} recorded hash {cp.entry_hash[:12]}…, it now has {first.entry_hash[:12]}…"
    replaced = [n for n in late if intact_through < n <= last.checkpoint.entry_id]
    if replaced:
        line = (f"tail replaced from entry {replaced[0]}: entry {replaced[0]} and later ones were created after the "
                f"checkpoint that covers them; at entry {cp.entry_id} {hashes}")
    else:
        start = intact_through + 1
        span = f"entry {cp.entry_id}" if start >= cp.entry_id else f"entries {start}–{cp.entry_id}"
        line = f"{span} rewritten: at entry {cp.entry_id} {hashes}"
    if first.count != cp.count:
        line += f"; it is now entry number {first.count}, the checkpoint counted {cp.count}"
    if len(run) > 1:
        line += f" (and the {len(run) - 1} later checkpoint(s) up to entry {last.checkpoint.entry_id} disagree too)"
    return line


def _deleted(outcome: _Outcome) -> str:
    cp = outcome.checkpoint
    line = f"entry {cp.entry_id} deleted: {cp.label} recorded it as entry number {cp.count}"
    if outcome.count < cp.count:
        line += f"; {cp.count - outcome.count} of the entries up to it are gone"
    return line


def _truncated(beyond: list[Checkpoint], last_id: int | None, count: int, regrown_from: int | None) -> str:
    top = beyond[-1]
    if regrown_from is not None:
        line = (f"audit log truncated and re-grown: entries from {regrown_from} on were created after {top.label}, "
                f"which recorded entry {top.entry_id} as entry number {top.count}; the log now ends at entry "
                f"{last_id} with {count} entries")
    elif last_id is None:
        line = f"audit log truncated: it is empty, but {top.label} recorded entry {top.entry_id} ({top.count} entries)"
    else:
        line = (f"audit log truncated after entry {last_id}: {top.label} recorded entry {top.entry_id} as entry number "
                f"{top.count}; the log now has {count} entries")
    if len(beyond) > 1:
        line += f" ({len(beyond)} checkpoints name entries it no longer has)"
    return line


def _earliest_written_from(ordered: list[Checkpoint]) -> list[datetime]:
    """For each position, the earliest written_at of the checkpoints from there on (suffix minimum)."""
    earliest: list[datetime] = []
    for checkpoint in reversed(ordered):
        earliest.append(min(checkpoint.written_at, earliest[-1]) if earliest else checkpoint.written_at)
    return earliest[::-1]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

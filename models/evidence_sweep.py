"""Which stored evidence versions nobody owns: the rule of the daily sweep, in pure code."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.audit_checkpoint import CHECKPOINT_PREFIX
from models.closeout import report_key

DEFAULT_GRACE = timedelta(hours=1)
"""How old an unowned version or leftover must be before it is swept: protects uploads in flight."""


@dataclass(frozen=True)
class SweptVersion:
    """A stored version as the sweep sees it."""

    key: str
    version_id: str
    created_at: datetime
    held: bool = False
    retained: bool = False


@dataclass(frozen=True)
class Owners:
    """What owns stored versions: Evidence rows' (key, version id), open uploads' keys with their expiry."""

    recorded: frozenset[tuple[str, str]]
    open_uploads: Mapping[str, datetime]


@dataclass(frozen=True)
class SweepPlan:
    """The unowned versions to delete, and those kept because a hold or retention protects them (reported)."""

    delete: list[SweptVersion]
    report: list[SweptVersion]


def never_swept(key: str) -> bool:
    """Whether a key is the store's own (audit checkpoints, closeout reports): these have no Evidence row."""
    campaign = key.partition("/")[0]
    return key.startswith(CHECKPOINT_PREFIX) or key.startswith(report_key(campaign, ""))


def unowned(versions: Iterable[SweptVersion], owners: Owners, now: datetime,
            grace: timedelta = DEFAULT_GRACE) -> list[SweptVersion]:
    """The versions no record names, no open upload still covers and older than `grace`."""
    found = []
    for version in versions:
        if never_swept(version.key) or (version.key, version.version_id) in owners.recorded:
            continue
        if version.created_at > now - grace:
            continue  # may be an upload whose completion is still on its way
        expires = owners.open_uploads.get(version.key)
        if expires is not None and expires > now - grace:
            continue
        found.append(version)
    return found


def plan_sweep(orphans: Iterable[SweptVersion]) -> SweepPlan:
    """Split unowned versions: held or retained ones are reported, never deleted; the rest are deleted."""
    orphans = list(orphans)
    return SweepPlan([v for v in orphans if not (v.held or v.retained)], [v for v in orphans if v.held or v.retained])


def stale(created: datetime, now: datetime, grace: timedelta = DEFAULT_GRACE) -> bool:
    """Whether a store leftover (a half-written upload or temp file) is older than `grace`."""
    return created <= now - grace

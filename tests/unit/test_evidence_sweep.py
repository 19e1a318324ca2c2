"""The sweep's rule: what no record or open upload owns, after the grace period, minus held and store-owned keys."""
from datetime import UTC, datetime, timedelta

from models.evidence_sweep import Owners, SweptVersion, never_swept, plan_sweep, stale, unowned

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
GRACE = timedelta(minutes=60)
OLD = NOW - timedelta(hours=5)
KEY = "c2022/X1/S001/T1/A1/plan-7"


def owners(recorded=(), open_uploads=None) -> Owners:
    return Owners(frozenset(recorded), open_uploads or {})


def test_a_recorded_version_is_kept_and_an_unrecorded_one_of_the_same_key_is_swept():
    kept, stray = SweptVersion(KEY, "v1", OLD), SweptVersion(KEY, "v2", OLD)
    assert unowned([kept, stray], owners({(KEY, "v1")}), NOW, GRACE) == [stray]


def test_a_version_younger_than_the_grace_is_kept():
    young = SweptVersion(KEY, "v1", NOW - timedelta(minutes=59))
    assert unowned([young], owners(), NOW, GRACE) == []
    assert unowned([young], owners(), NOW + timedelta(minutes=2), GRACE) == [young]


def test_an_open_upload_keeps_its_key_until_its_expiry_plus_the_grace():
    version = SweptVersion(KEY, "v1", OLD)
    assert unowned([version], owners(open_uploads={KEY: NOW - timedelta(minutes=30)}), NOW, GRACE) == []
    assert unowned([version], owners(open_uploads={KEY: NOW - timedelta(minutes=61)}), NOW, GRACE) == [version]
    assert unowned([version], owners(open_uploads={"c2022/other": NOW}), NOW, GRACE) == [version]


def test_audit_checkpoints_and_closeout_reports_are_never_swept():
    store_owned = [SweptVersion("audit/checkpoints/2026-11-30.json", "v1", OLD),
                   SweptVersion("c2022/closeout/summary.xlsx", "v2", OLD)]
    assert unowned(store_owned, owners(), NOW, GRACE) == []
    assert never_swept("audit/checkpoints/x") and never_swept("c2022/closeout/summary.csv")
    assert not never_swept("c2022/X1/S001/T1/A1/closeout-3") and not never_swept("audit/other")


def test_held_or_retained_orphans_are_reported_not_deleted():
    free, held, retained = (SweptVersion(KEY, "v1", OLD), SweptVersion(KEY, "v2", OLD, held=True),
                            SweptVersion(KEY, "v3", OLD, retained=True))
    plan = plan_sweep([free, held, retained])
    assert plan.delete == [free] and plan.report == [held, retained]


def test_a_leftover_is_stale_only_past_the_grace():
    assert stale(NOW - GRACE, NOW, GRACE) and not stale(NOW - GRACE + timedelta(seconds=1), NOW, GRACE)

"""The evidence sweep against both stores and both databases: what no record or open upload owns goes,
what is recorded, in flight, held, or the store's own (audit checkpoints, closeout reports) stays."""
import io
import os
import time
from datetime import timedelta

import pytest

from flows.evidence import evidence_sweep
from infra import repository as repo
from infra.db import session_scope
from infra.evidence import LocalEvidenceStore
from models.audit_checkpoint import CHECKPOINT_PREFIX
from models.catalog import load_catalog
from models.clock import utcnow
from models.closeout import report_key
from models.evidence import Evidence, EvidenceUpload
from models.policy import load_preset
from tasks.demo_setup import insert_demo_campaign
from tasks.evidence_sweep import delete_unowned, find_unowned, remove_leftovers
from tests.integration.evidence_fixtures import evidence_store, s3_server  # noqa: F401  (fixtures)
from tests.integration.test_evidence_lock import COUNTY, SCHOOL, store  # noqa: F401  (fixture)


def put(store, key: str, data: bytes = b"bytes"):
    return store.put(key, io.BytesIO(data), len(data), "application/pdf")


def stored(store) -> set[tuple[str, str]]:
    return {(v.key, v.version_id) for v in store.versions("")}


def scene(campaign: str, store) -> dict:
    """A campaign whose store holds one of each kind of version the sweep must tell apart."""
    insert_demo_campaign.fn(campaign, load_preset("yanzhou-2022"), load_catalog(), 1, 1)
    base = f"{campaign}/{COUNTY}/{SCHOOL}/_school/_all"
    got = {"recorded": put(store, f"{base}/report-1"), "repost": put(store, f"{base}/report-1"),
           "orphan": put(store, f"{base}/report-2"), "held": put(store, f"{base}/report-3"),
           "in_flight": put(store, f"{base}/report-4"),
           "checkpoint": put(store, f"{CHECKPOINT_PREFIX}2026-12-01T00-00-00Z.json"),
           "closeout": put(store, report_key(campaign, "summary.xlsx"))}
    store.set_legal_hold(got["held"].key, got["held"].version_id, True)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        v = got["recorded"]
        session.add(Evidence(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item="report",
                             key=v.key, version_id=v.version_id, size=v.size, sha256=v.sha256,
                             content_type="application/pdf", original_name="报告.pdf", uploaded_by="tester"))
        session.add(EvidenceUpload(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item="report",
                                   key=got["in_flight"].key, max_size=5, size=5, sha256="0" * 64,
                                   original_name="报告.pdf", requested_by="tester",
                                   expires_at=utcnow() + timedelta(minutes=15)))  # a ticket still valid
    return got


def pairs(*versions) -> set[tuple[str, str]]:
    return {(v.key, v.version_id) for v in versions}


def test_the_sweep_removes_unowned_versions_and_keeps_recorded_in_flight_held_and_store_owned_ones(
        store, campaign_code):
    got = scene(campaign_code, store)
    everything = stored(store)
    assert find_unowned.fn(None, 60).plan.delete == []  # everything is younger than an hour: kept
    found = find_unowned.fn(None, 0)
    assert pairs(*found.plan.delete) == pairs(got["repost"], got["orphan"])
    assert pairs(*found.plan.report) == pairs(got["held"]) and found.plan.report[0].held
    assert delete_unowned.fn(found.plan.delete) == []
    assert stored(store) == everything - pairs(got["repost"], got["orphan"])
    store.set_legal_hold(got["held"].key, got["held"].version_id, False)


@pytest.mark.parametrize("evidence_store", ["local"], indirect=True)  # S3's: the store contract test
def test_an_old_local_leftover_goes_and_a_fresh_one_stays(store):
    assert isinstance(store, LocalEvidenceStore)
    store.ensure_ready()
    old, fresh = store.incoming / "0000000000000001aaaaaaaa.part", store.incoming / "0000000000000002bbbbbbbb.part"
    old.write_bytes(b"crash")
    fresh.write_bytes(b"in flight")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    found = find_unowned.fn(None, 60)
    assert found.leftovers == ["incoming/0000000000000001aaaaaaaa.part"]
    assert remove_leftovers.fn(found.leftovers) == 1
    assert not old.exists() and fresh.exists()


def test_the_flow_dry_run_removes_nothing_and_the_real_run_removes_the_orphans(store, campaign_code):
    got = scene(campaign_code, store)
    everything = stored(store)
    dry = evidence_sweep(campaign_code, 0, True)
    assert dry.dry_run and pairs(*dry.removed) == pairs(got["repost"], got["orphan"])
    assert stored(store) == everything
    done = evidence_sweep(campaign_code, 0, False)
    assert pairs(*done.removed) == pairs(got["repost"], got["orphan"]) and pairs(*done.reported) == pairs(got["held"])
    assert stored(store) == everything - pairs(got["repost"], got["orphan"])
    assert done.summary.startswith("evidence sweep: removed 2 unowned version(s)")
    store.set_legal_hold(got["held"].key, got["held"].version_id, False)

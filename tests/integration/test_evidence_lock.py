"""Holding a school's evidence when it is locked, lifting it for rectification, retaining it when certified,
and re-reading it for integrity: the Prefect flows against both evidence stores."""
import io
import os
from datetime import timedelta

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import select, update

from flows.evidence import lock_school_evidence, release_school_evidence, retain_school_evidence, verify_evidence
from infra import repository as repo
from infra.db import session_scope
from infra.evidence import LocalEvidenceStore, _ready_store
from infra.settings import get_settings
from models.campaign import SchoolEnrolment
from models.catalog import load_catalog
from models.clock import utcnow
from models.enums import SchoolState
from models.errors import EvidenceLocked, EvidenceMissing
from models.evidence import Evidence
from models.policy import load_preset
from tasks.demo_setup import insert_demo_campaign
from tests.integration.evidence_fixtures import evidence_store, s3_server  # noqa: F401  (fixtures)

SCHOOL, COUNTY = "DEMO-X1-S001", "DEMO-C1-X1"


@pytest.fixture
def store(request, evidence_store, database, prefect_harness, monkeypatch):  # noqa: F811
    """The test's store, made the one the settings name (so the flows' tasks find it)."""
    if isinstance(evidence_store, LocalEvidenceStore):
        url = str(evidence_store.root)
        secret = get_settings().secret_key.get_secret_value()
        evidence_store = LocalEvidenceStore(evidence_store.root, secret)
    else:
        endpoint = request.getfixturevalue("s3_server").endpoint
        url = f"s3://test:test@{endpoint}/{evidence_store.bucket}?secure=false&region={evidence_store.region}"
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", url)
    get_settings.cache_clear()
    _ready_store.cache_clear()
    yield evidence_store
    get_settings.cache_clear()
    _ready_store.cache_clear()


def locked_school(campaign: str, store, objects: int) -> int:
    """A locked school of a new campaign with `objects` evidence versions recorded; its enrolment id."""
    insert_demo_campaign.fn(campaign, load_preset("yanzhou-2022"), load_catalog(), 1, 1)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        enrolment.state = SchoolState.LOCKED
        for n in range(objects):
            data = f"evidence {n} of {campaign}".encode()
            key = f"{campaign}/{COUNTY}/{SCHOOL}/_school/_all/report-{n}"
            version = store.put(key, io.BytesIO(data), len(data), "application/pdf")
            session.add(Evidence(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item="report",
                                 key=key, version_id=version.version_id, size=version.size, sha256=version.sha256,
                                 content_type="application/pdf", original_name=f"报告{n}.pdf", uploaded_by="tester"))
        return enrolment.id


def rows(enrolment_id: int) -> list[Evidence]:
    with session_scope() as session:
        return list(session.scalars(select(Evidence).where(Evidence.school_enrolment_id == enrolment_id)
                                    .order_by(Evidence.id)))


def held_at(enrolment_id: int):
    with session_scope() as session:
        return session.get(SchoolEnrolment, enrolment_id).evidence_held_at


def test_locking_holds_every_version_and_only_then_counts_the_school_locked(store, campaign_code):
    enrolment = locked_school(campaign_code, store, 7)
    assert held_at(enrolment) is None  # locked, but nothing held yet: no draw takes it
    assert lock_school_evidence(enrolment, batch_size=3) is True
    evidence = rows(enrolment)
    assert all(e.held for e in evidence) and held_at(enrolment) is not None
    assert all(store.legal_hold(e.key, e.version_id) for e in evidence)
    with pytest.raises(EvidenceLocked):
        store.delete(evidence[0].key, evidence[0].version_id)
    assert held_at(enrolment) is not None
    assert lock_school_evidence(enrolment) is True  # a rerun is harmless


def test_a_failure_halfway_leaves_the_school_not_locked_and_a_rerun_finishes(store, campaign_code):
    enrolment = locked_school(campaign_code, store, 6)
    broken = rows(enrolment)[4]
    with session_scope() as session:  # the recorded version is not in the store (e.g. an outage lost the write)
        session.execute(update(Evidence).where(Evidence.id == broken.id).values(key=broken.key + "-lost"))
    with pytest.raises(EvidenceMissing):
        lock_school_evidence(enrolment, batch_size=2)
    evidence = rows(enrolment)
    assert [e.held for e in evidence] == [True, True, True, True, False, False]  # the batches before it did their work
    assert held_at(enrolment) is None
    with session_scope() as session:  # the cause is fixed
        session.execute(update(Evidence).where(Evidence.id == broken.id).values(key=broken.key))
    assert lock_school_evidence(enrolment, batch_size=2) is True
    assert all(e.held for e in rows(enrolment)) and held_at(enrolment) is not None


def test_rectification_lifts_the_holds_and_the_school_stops_counting_as_locked(store, campaign_code):
    enrolment = locked_school(campaign_code, store, 3)
    lock_school_evidence(enrolment)
    assert release_school_evidence(enrolment) == 3
    evidence = rows(enrolment)
    assert not any(e.held for e in evidence) and held_at(enrolment) is None
    assert not any(store.legal_hold(e.key, e.version_id) for e in evidence)
    store.delete(evidence[0].key, evidence[0].version_id)  # open again: a version may go


def test_certification_retains_every_version_for_the_archive_years(store, campaign_code):
    enrolment = locked_school(campaign_code, store, 3)
    with session_scope() as session:
        session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment)
                        .values(state=SchoolState.CERTIFIED, updated_at=utcnow()))
    assert retain_school_evidence(enrolment) == 3
    evidence = rows(enrolment)
    years = load_preset("yanzhou-2022").evidence.archive_years
    for e in evidence:
        assert e.retained_until - utcnow() > timedelta(days=365 * years - 2)
        assert abs(store.retention(e.key, e.version_id) - e.retained_until) < timedelta(seconds=1)
    with pytest.raises(EvidenceLocked):
        store.delete(evidence[0].key, evidence[0].version_id)
    assert retain_school_evidence(enrolment) == 0  # nothing left to do on a rerun


def test_integrity_run_reports_changed_and_missing_objects(store, campaign_code):
    enrolment = locked_school(campaign_code, store, 4)
    assert verify_evidence(campaign_code) == []
    first, second = rows(enrolment)[:2]
    if isinstance(store, LocalEvidenceStore):
        path = next(p for p in (store.objects / first.key / ".v").iterdir() if p.name == first.version_id)
        os.chmod(path, 0o644)
        path.write_bytes(b"tampered")
        expected = {first.id: "differs", second.id: "missing"}
    else:
        expected = {second.id: "missing"}
    store.delete(second.key, second.version_id)
    findings = verify_evidence(campaign_code, county=COUNTY, seed=1)
    assert {f.evidence_id: ("missing" if f.problem == "missing" else "differs") for f in findings} == expected
    assert len(verify_evidence(campaign_code, school=SCHOOL, sample=1, seed=3)) <= 1
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    assert any(a.key and a.key.startswith("evidence-integrity") and "problem" in (a.data or "") for a in artifacts)

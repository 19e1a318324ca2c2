"""Evidence services on the fast tier: uploads verified before a record exists, who may upload and read, links,
custody records (holds, retention, integrity), and the sweep's look at the store — on the local store in tmp_path."""
import hashlib
import io
import os
from datetime import timedelta

import pytest

from application import evidence, evidence_custody as custody, evidence_sweep
from infra import repository as repo
from infra.evidence import LocalEvidenceStore
from models.access import own_files_only
from models.campaign import SchoolEnrolment
from models.enums import Role, SchoolState
from models.errors import (
    DomainError, EvidenceNotVerified, EvidenceTooLarge, NotFound, OutOfScope, RuleViolated, SchoolLocked,
)
from models.evidence import Evidence, EvidenceUpload, UploadStatus

S1, S2 = "DEMO-X1-S001", "DEMO-X1-S002"
TEACHER, COLLEAGUE = f"{S1}-t001", f"{S1}-t002"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(3000)
PDF = b"%PDF-1.7\n" + os.urandom(2000)
LINK = timedelta(minutes=5)


@pytest.fixture
def store(tmp_path) -> LocalEvidenceStore:
    """A ready local evidence store in the test's directory."""
    local = LocalEvidenceStore(tmp_path / "evidence", "fast-tier-link-secret")
    local.ensure_ready()
    return local


@pytest.fixture
def campaign(uow, demo) -> str:
    """The demo campaign, committed (to the test's savepoint): services that end a read transaction keep it."""
    uow.commit()
    return demo.campaign


def person(uow, username: str):
    return repo.active_principal(uow.session, username)


def ask(campaign: str, data: bytes, **overrides) -> evidence.UploadRequest:
    fields = {"campaign": campaign, "school": S1, "teacher": TEACHER, "micro_ability": "A1", "item": "lesson_video",
              "file_name": "课堂实录.mp4", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **overrides}
    return evidence.UploadRequest(**fields)


def uploaded(uow, store, campaign: str, data: bytes = MP4, user: str = TEACHER, **overrides) -> Evidence:
    """A presigned upload started, its bytes stored under its key (as the ticket would), completed and committed."""
    started = evidence.start_upload(uow, person(uow, user), store, ask(campaign, data, **overrides), LINK)
    uow.commit()
    store.put(started.key, io.BytesIO(data), len(data), "video/mp4")
    done = evidence.complete_upload(uow, person(uow, user), store, started.id)
    uow.commit()
    return done.evidence


def test_a_presigned_upload_is_recorded_once_verified_and_a_second_completion_answers_the_same(uow, campaign, store):
    started = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    assert started.key == f"{campaign}/DEMO-C1-X1/{S1}/{TEACHER}/A1/lesson_video-{started.id}"
    assert started.status == UploadStatus.PENDING and started.ticket.max_size == len(MP4)
    uow.commit()
    store.put(started.key, io.BytesIO(MP4), len(MP4), "video/mp4")
    first = evidence.complete_upload(uow, person(uow, TEACHER), store, started.id)
    uow.commit()
    assert first.created and (first.evidence.size, first.evidence.content_type) == (len(MP4), "video/mp4")
    again = evidence.complete_upload(uow, person(uow, TEACHER), store, started.id)
    assert not again.created and again.evidence.id == first.evidence.id


def test_a_file_that_is_not_what_was_promised_is_refused_and_deleted(uow, campaign, store):
    started = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    uow.commit()
    store.put(started.key, io.BytesIO(PDF), len(PDF), "application/pdf")
    with pytest.raises(EvidenceNotVerified) as refused:
        evidence.complete_upload(uow, person(uow, TEACHER), store, started.id)
    assert {e["field"] for e in refused.value.errors} == {"size", "file"}  # a PDF, and not the promised size
    assert store.versions(started.key) == []
    assert uow.session.get(EvidenceUpload, started.id).status == UploadStatus.PENDING  # open for another try


def test_nothing_uploaded_is_refused(uow, campaign, store):
    started = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    uow.commit()
    with pytest.raises(EvidenceNotVerified, match="nothing was uploaded"):
        evidence.complete_upload(uow, person(uow, TEACHER), store, started.id)


def test_who_may_upload(uow, campaign, store):
    with pytest.raises(OutOfScope, match="does not upload evidence"):
        evidence.start_upload(uow, person(uow, "demo-county-office"), store, ask(campaign, MP4), LINK)
    with pytest.raises(OutOfScope, match="themselves"):
        evidence.start_upload(uow, person(uow, COLLEAGUE), store, ask(campaign, MP4), LINK)
    with pytest.raises(OutOfScope, match="outside your unit"):
        evidence.start_upload(uow, person(uow, f"{S2}-admin"), store, ask(campaign, MP4), LINK)
    with pytest.raises(NotFound, match="not enrolled"):
        evidence.start_upload(uow, person(uow, f"{S1}-admin"), store, ask(campaign, MP4, teacher=f"{S2}-t001"), LINK)
    own = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4, teacher=None), LINK)
    assert f"/{TEACHER}/" in own.key  # a teacher's upload is their own by default
    school_wide = evidence.start_upload(uow, person(uow, f"{S1}-leader"), store, ask(campaign, MP4, teacher=None),
                                        LINK)
    assert "/_school/" in school_wide.key


def test_another_person_completes_an_upload_only_if_they_may_upload_it(uow, campaign, store):
    started = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    uow.commit()
    with pytest.raises(OutOfScope):
        evidence.complete_upload(uow, person(uow, COLLEAGUE), store, started.id)
    store.put(started.key, io.BytesIO(MP4), len(MP4), "video/mp4")
    assert evidence.complete_upload(uow, person(uow, f"{S1}-admin"), store, started.id).created


def test_the_policy_refuses_unknown_items_abilities_and_oversized_files(uow, campaign, store):
    teacher = person(uow, TEACHER)
    with pytest.raises(RuleViolated, match="not one of the policy's"):
        evidence.start_upload(uow, teacher, store, ask(campaign, MP4, item="poster"), LINK)
    with pytest.raises(RuleViolated, match="catalog"):
        evidence.start_upload(uow, teacher, store, ask(campaign, MP4, micro_ability="Z9"), LINK)
    with pytest.raises(EvidenceTooLarge, match="limit of 20 MB"):
        evidence.start_upload(uow, teacher, store, ask(campaign, MP4, item="plan", size=21 * 1024 * 1024), LINK)
    with pytest.raises(EvidenceTooLarge, match="direct upload limit"):
        evidence.begin_direct_upload(uow, teacher, ask(campaign, MP4, size=21 * 1024 * 1024))


def test_nothing_of_a_locked_school_changes(uow, campaign, store):
    started = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    repo.school_enrolment(uow.session, campaign, S1).state = SchoolState.LOCKED
    uow.commit()
    store.put(started.key, io.BytesIO(MP4), len(MP4), "video/mp4")
    with pytest.raises(SchoolLocked):
        evidence.complete_upload(uow, person(uow, TEACHER), store, started.id)
    with pytest.raises(SchoolLocked):
        evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)


def test_a_direct_upload_is_stored_verified_and_recorded(uow, campaign, store):
    teacher = person(uow, TEACHER)
    upload = evidence.begin_direct_upload(uow, teacher, ask(campaign, MP4))
    uow.commit()
    recorded = evidence.store_direct_upload(uow, teacher, store, upload, io.BytesIO(MP4))
    uow.commit()
    assert recorded.created and recorded.evidence.version_id == recorded.version.version_id
    assert store.hash_of(upload.key, recorded.version.version_id) == hashlib.sha256(MP4).hexdigest()


def test_a_refused_direct_upload_leaves_no_bytes_and_its_row_can_be_dropped(uow, campaign, store):
    teacher = person(uow, TEACHER)
    upload = evidence.begin_direct_upload(uow, teacher, ask(campaign, MP4, sha256="0" * 64))
    uow.commit()
    with pytest.raises(EvidenceNotVerified):
        evidence.store_direct_upload(uow, teacher, store, upload, io.BytesIO(MP4))
    assert store.versions(upload.key) == []
    uow.rollback()
    evidence.drop_unfinished_upload(uow, teacher, upload.id)
    uow.commit()
    assert uow.session.get(EvidenceUpload, upload.id) is None


def test_an_unrecorded_version_is_discarded_and_a_recorded_one_kept(uow, campaign, store):
    teacher = person(uow, TEACHER)
    kept = uploaded(uow, store, campaign)
    stray = store.put(kept.key, io.BytesIO(b"stray"), 5, "application/pdf")
    evidence.discard_unrecorded(uow, teacher, store, stray)
    recorded = next(v for v in store.versions(kept.key) if v.version_id == kept.version_id)
    evidence.discard_unrecorded(uow, teacher, store, recorded)
    assert [v.version_id for v in store.versions(kept.key)] == [kept.version_id]


def test_reading_evidence_follows_the_unit_and_the_teachers_own_files(uow, campaign, store):
    own = uploaded(uow, store, campaign)
    school_wide = uploaded(uow, store, campaign, PDF, user=f"{S1}-admin", teacher=None, micro_ability=None,
                           item="report", file_name="总结.pdf")
    assert evidence.read_evidence(uow, person(uow, "demo-county-office"), own.id).id == own.id
    assert evidence.read_evidence(uow, person(uow, COLLEAGUE), school_wide.id).id == school_wide.id
    with pytest.raises(OutOfScope, match="another teacher's"):
        evidence.read_evidence(uow, person(uow, COLLEAGUE), own.id)
    with pytest.raises(OutOfScope, match="outside your unit"):
        evidence.read_evidence(uow, person(uow, f"{S2}-admin"), own.id)
    with pytest.raises(NotFound):
        evidence.read_evidence(uow, person(uow, TEACHER), 999_999)

    listed = evidence.list_evidence(uow, person(uow, f"{S1}-admin"), campaign, S1, 1, 50)
    assert (listed.total, [e.id for e in listed.items]) == (2, [school_wide.id, own.id])  # newest first
    assert [e.id for e in evidence.list_evidence(uow, person(uow, COLLEAGUE), campaign, None, 1, 50).items] == [
        school_wide.id]
    assert evidence.list_evidence(uow, person(uow, f"{S2}-admin"), campaign, None, 1, 50).total == 0
    with pytest.raises(OutOfScope):
        evidence.list_evidence(uow, person(uow, f"{S2}-admin"), campaign, S1, 1, 50)
    assert [e.id for e in evidence.list_evidence(uow, person(uow, "demo-city-office"), campaign, None, 2, 1).items] \
        == [own.id]


def test_a_download_link_is_signed_for_people_in_scope(uow, campaign, store):
    record = uploaded(uow, store, campaign)
    link = evidence.download_link(uow, person(uow, "demo-county-office"), store, record.id, LINK)
    assert link.url.startswith(evidence.LOCAL_DOWNLOAD_PATH)
    found = evidence.local_store(store).resolve_download(link.url.rsplit("/", 1)[1])
    assert found.path.read_bytes() == MP4 and found.content_type == "video/mp4"
    with pytest.raises(OutOfScope):
        evidence.download_link(uow, person(uow, COLLEAGUE), store, record.id, LINK)


def test_only_a_teacher_is_held_to_their_own_files():
    assert own_files_only(Role.TEACHER)
    assert not any(own_files_only(r) for r in (Role.GROUP_LEADER, Role.SCHOOL_ADMIN, Role.COUNTY_OFFICE))


def test_a_school_counts_as_held_only_once_every_version_is_held_and_while_locked(uow, campaign, store):
    first, second = uploaded(uow, store, campaign), uploaded(uow, store, campaign, PDF, item="report",
                                                             file_name="报告.pdf")
    enrolment = repo.school_enrolment(uow.session, campaign, S1)
    assert [r.id for r in custody.evidence_to_hold(uow, enrolment.id)] == [first.id, second.id]
    assert custody.record_holds(uow, "system", [first.id], True) == 1
    assert [r.id for r in custody.evidence_to_hold(uow, enrolment.id)] == [second.id]
    assert [r.id for r in custody.evidence_held(uow, enrolment.id)] == [first.id]
    enrolment.state = SchoolState.LOCKED
    uow.session.flush()
    assert custody.mark_school_held(uow, "system", enrolment.id) is False  # one version is not held yet
    custody.record_holds(uow, "system", [second.id], True)
    assert custody.mark_school_held(uow, "system", enrolment.id) is True
    custody.clear_school_held(uow, "system", enrolment.id)
    uow.session.expire_all()
    assert uow.session.get(SchoolEnrolment, enrolment.id).evidence_held_at is None


def test_an_open_school_is_never_stamped_held(uow, campaign, store):
    record = uploaded(uow, store, campaign)
    custody.record_holds(uow, "system", [record.id], True)
    assert custody.mark_school_held(uow, "system", record.school_enrolment_id) is False


def test_certified_evidence_is_retained_for_the_archive_years(uow, campaign, store):
    record = uploaded(uow, store, campaign)
    enrolment = uow.session.get(SchoolEnrolment, record.school_enrolment_id)
    until = custody.archive_until(uow, enrolment.id)
    assert until.year == enrolment.updated_at.year + 5 and until.month == enrolment.updated_at.month
    assert [r.id for r in custody.evidence_to_retain(uow, enrolment.id, until)] == [record.id]
    assert custody.record_retentions(uow, "system", [record.id], until) == 1
    assert custody.evidence_to_retain(uow, enrolment.id, until) == []
    assert [r.id for r in custody.evidence_to_retain(uow, enrolment.id, until + timedelta(days=1))] == [record.id]


def test_integrity_runs_read_the_recorded_versions_of_a_campaign_county_or_school(uow, campaign, store):
    record = uploaded(uow, store, campaign)
    [version] = custody.recorded_versions(uow, campaign, None, None)
    assert (version.id, version.school, version.sha256) == (record.id, S1, hashlib.sha256(MP4).hexdigest())
    assert custody.recorded_versions(uow, campaign, "DEMO-C1-X1", S1) == [version]
    assert custody.recorded_versions(uow, campaign, None, S2) == []
    with pytest.raises(NotFound):
        custody.recorded_versions(uow, "no-such-campaign", None, None)


def test_the_sweep_finds_what_no_record_or_open_upload_owns(uow, campaign, store):
    record = uploaded(uow, store, campaign)
    base = record.key.rsplit("/", 1)[0]
    orphan = store.put(f"{base}/report-998", io.BytesIO(b"orphan"), 6, "application/pdf")
    held = store.put(f"{base}/report-999", io.BytesIO(b"held"), 4, "application/pdf")
    store.set_legal_hold(held.key, held.version_id, True)
    open_upload = evidence.start_upload(uow, person(uow, TEACHER), store, ask(campaign, MP4), LINK)
    uow.commit()
    in_flight = store.put(open_upload.key, io.BytesIO(MP4), len(MP4), "video/mp4")

    assert evidence_sweep.find_unowned(uow, store, campaign, timedelta(hours=1)).plan.delete == []  # all fresh
    found = evidence_sweep.find_unowned(uow, store, campaign, timedelta(0))
    assert [(v.key, v.version_id) for v in found.plan.delete] == [(orphan.key, orphan.version_id)]
    assert [(v.key, v.held) for v in found.plan.report] == [(held.key, True)]
    assert in_flight.key not in {v.key for v in found.plan.delete}
    with pytest.raises(NotFound):
        evidence_sweep.find_unowned(uow, store, "no-such-campaign", timedelta(0))
    store.set_legal_hold(held.key, held.version_id, False)


def test_an_operator_finishes_holding_only_a_locked_school(uow, campaign):
    with pytest.raises(DomainError, match=f"school {S1} is plan_drafting, not locked: nothing to hold"):
        custody.locked_school_to_hold(uow, campaign, S1)
    enrolment = repo.school_enrolment(uow.session, campaign, S1)
    enrolment.state = SchoolState.LOCKED
    assert custody.locked_school_to_hold(uow, campaign, S1) == enrolment.id
    with pytest.raises(NotFound):
        custody.locked_school_to_hold(uow, campaign, "NO-SUCH-SCHOOL")

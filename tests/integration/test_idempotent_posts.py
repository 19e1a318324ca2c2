"""Idempotent POSTs under a race: of simultaneous requests with one Idempotency-Key, one acts; none answers 500."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import app
from infra import repository as repo
from infra.db import session_scope
from models.clock import utcnow
from models.evidence import Evidence, EvidenceUpload, UploadStatus
from models.outbox import IdempotencyRecord
from tests.integration.evidence_fixtures import s3_server  # noqa: F401
from tests.integration.test_evidence_api import (  # noqa: F401 (fixtures)
    MP4, S1, TEACHER, auth, campaign, docx, local_store, lock, promise, refused, store,
)

RACERS = 8


def race(post) -> list:
    """`post(client)` from RACERS threads at once, each with its own client (as the inbox race test does)."""
    def one(_):
        with TestClient(app) as client:
            return post(client)
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def one_effect(answers) -> dict:
    """The single acting answer; every other one is its replay or 409 'in progress' problem+json."""
    acted = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(acted) == 1, [(a.status_code, a.text) for a in answers]
    for other in answers:
        if other is acted[0]:
            continue
        if other.status_code == 409:
            assert other.headers["content-type"] == "application/problem+json"
            assert "in progress" in other.json()["detail"]
        else:
            assert other.status_code == 201 and other.json() == acted[0].json(), other.text
    return acted[0].json()


def uploads(campaign: str) -> list[EvidenceUpload]:
    with session_scope() as session:
        campaign_id = repo.campaign_by_code(session, campaign).id
        rows = session.scalars(select(EvidenceUpload).where(EvidenceUpload.campaign_id == campaign_id)).all()
        session.expunge_all()
        return list(rows)


def evidence(campaign: str) -> list[Evidence]:
    with session_scope() as session:
        campaign_id = repo.campaign_by_code(session, campaign).id
        rows = session.scalars(select(Evidence).where(Evidence.campaign_id == campaign_id)).all()
        session.expunge_all()
        return list(rows)


def test_simultaneous_upload_starts_with_one_key_start_one_upload(campaign, local_store):
    headers = {**auth(TEACHER), "Idempotency-Key": f"start-{campaign}"}
    answers = race(lambda c: c.post("/evidence/uploads", json=promise(campaign, MP4), headers=headers))
    started = one_effect(answers)
    assert [u.id for u in uploads(campaign)] == [started["id"]]


def test_simultaneous_direct_uploads_with_one_key_store_and_record_one_file(campaign, store):
    data, headers = docx(), {**auth(f"{S1}-admin"), "Idempotency-Key": f"direct-{campaign}"}
    form = {k: str(v) for k, v in promise(campaign, data, item="reflection", teacher=None, micro_ability=None,
                                          file_name="教学反思.docx").items() if v is not None}
    answers = race(lambda c: c.post("/evidence", data=form, files={"file": ("x.docx", data)}, headers=headers))
    record = one_effect(answers)
    assert [e.id for e in evidence(campaign)] == [record["id"]]
    assert [(v.key, v.version_id) for v in store.versions(f"{campaign}/")] == [(record["key"], record["version_id"])]
    assert [u.status for u in uploads(campaign)] == [UploadStatus.COMPLETED]  # no loser's upload left pending


def test_a_refused_request_gives_its_key_back_for_a_retry(campaign, local_store):
    headers = {**auth(TEACHER), "Idempotency-Key": f"after-lock-{campaign}"}
    lock(campaign, S1)
    refused(TestClient(app).post("/evidence/uploads", json=promise(campaign, MP4), headers=headers), 423)
    with session_scope() as session:
        from sqlalchemy import update

        from models.campaign import SchoolEnrolment
        from models.enums import SchoolState
        session.execute(update(SchoolEnrolment).where(
            SchoolEnrolment.id == repo.school_enrolment(session, campaign, S1).id).values(state=SchoolState.TRAINING))
    retried = TestClient(app).post("/evidence/uploads", json=promise(campaign, MP4), headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers, retried.text
    again = TestClient(app).post("/evidence/uploads", json=promise(campaign, MP4), headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == retried.json()


@pytest.mark.parametrize("age, status", [(timedelta(0), 409), (timedelta(seconds=61), 201)])
def test_a_claim_in_progress_answers_409_until_its_lease_runs_out(campaign, local_store, age, status):
    """A claim whose request was cut off (a database outage, so it could not even give its claim back) frees the key
    a minute later: the retry then acts."""
    from api.idempotency import IN_PROGRESS, LEASE, fingerprint

    assert LEASE <= timedelta(seconds=61)

    body = promise(campaign, MP4)
    with session_scope() as session:
        session.add(IdempotencyRecord(username=TEACHER, key=f"held-{status}-{campaign}", status_code=IN_PROGRESS, body={},
                                      request_hash=fingerprint("POST", "/evidence/uploads", body),
                                      created_at=utcnow() - age))
    answer = TestClient(app).post("/evidence/uploads", json=body,
                                  headers={**auth(TEACHER), "Idempotency-Key": f"held-{status}-{campaign}"})
    assert answer.status_code == status, answer.text
    if status == 409:
        refused(answer, 409, "in progress")
        assert 1 <= int(answer.headers["retry-after"]) <= 60
    with session_scope() as session:
        count = session.scalar(select(func.count()).select_from(EvidenceUpload).where(
            EvidenceUpload.campaign_id == repo.campaign_by_code(session, campaign).id))
    assert count == (status == 201)


def test_a_request_whose_claim_was_taken_over_cannot_store_its_answer(campaign, local_store):
    from api import idempotency
    from models.errors import KeyInProgress
    from models.org import Principal

    with session_scope() as session:
        teacher = Principal.of(repo.person_by_username(session, TEACHER))
    key, request_hash = f"slow-{campaign}", idempotency.fingerprint("POST", "/evidence/uploads", {})
    with session_scope() as slow, session_scope() as retry:
        assert idempotency.claim(slow, teacher, key, request_hash) is None          # the first request acts...
        slow.info[idempotency.CLAIM] -= timedelta(seconds=61)                    # ...past its lease
        slow.execute(IdempotencyRecord.__table__.update().where(IdempotencyRecord.key == key)
                     .values(created_at=slow.info[idempotency.CLAIM]))
        slow.commit()
        assert idempotency.claim(retry, teacher, key, request_hash) is None        # a retry takes the key over
        with pytest.raises(KeyInProgress, match="taken over"):
            idempotency.remember(slow, teacher, key, request_hash, 201, {"late": True})
        slow.rollback()
        idempotency.remember(retry, teacher, key, request_hash, 201, {"retry": True})
    with session_scope() as session:
        record = session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).one()
        assert (record.status_code, record.body) == (201, {"retry": True})

"""Evidence through the API: presigned and direct uploads verified before a record exists, scoped links, the lock."""
import hashlib
import io
import os
import zipfile
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from api.app import app
from api.routes.evidence import evidence_store as store_dependency
from infra import repository as repo
from infra.db import session_scope
from infra.evidence import LocalEvidenceStore
from infra.security import TokenClaims, issue_token
from infra.settings import get_settings
from models.campaign import SchoolEnrolment
from models.catalog import load_catalog
from models.enums import SchoolState
from models.evidence import Evidence, EvidenceUpload
from models.policy import EvidenceRules, load_preset
from tasks.demo_setup import insert_demo_campaign
from tests.integration.evidence_fixtures import LINK_SECRET, s3_server, s3_store  # noqa: F401

S1, S2 = "DEMO-X1-S001", "DEMO-X1-S002"
TEACHER, COLLEAGUE = f"{S1}-t001", f"{S1}-t002"
NAME = "王老师 课堂实录（终稿）.mp4"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(3000)
PDF = b"%PDF-1.7\n" + os.urandom(2000)
DIRECT_MAX = 50_000


def docx() -> bytes:
    """A minimal Word file: a ZIP whose entries are what Word writes first."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
def campaign(database, campaign_code) -> str:
    """A demo campaign (two schools of two teachers) whose direct uploads stop at 50 kB."""
    policy = load_preset("yanzhou-2022")
    policy = policy.model_copy(update={"evidence": EvidenceRules(direct_upload_max_mb=DIRECT_MAX / 1024 / 1024)})
    insert_demo_campaign.fn(campaign_code, policy, load_catalog(), schools=2, teachers=2)
    return campaign_code


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """Each backend behind the API's store dependency."""
    if request.param == "local":
        chosen = LocalEvidenceStore(tmp_path / "evidence", LINK_SECRET)
    else:
        chosen = s3_store(request.getfixturevalue("s3_server"))
    chosen.ensure_ready()
    app.dependency_overrides[store_dependency] = lambda: chosen
    yield chosen
    app.dependency_overrides.pop(store_dependency, None)


@pytest.fixture
def local_store(tmp_path):
    """The local backend only, for cases that do not depend on the backend."""
    chosen = LocalEvidenceStore(tmp_path / "evidence", LINK_SECRET)
    chosen.ensure_ready()
    app.dependency_overrides[store_dependency] = lambda: chosen
    yield chosen
    app.dependency_overrides.pop(store_dependency, None)


http = TestClient(app)


def auth(username: str) -> dict[str, str]:
    """A bearer token for a demo person (teachers have no password, so tokens are issued directly)."""
    with session_scope() as session:
        p = repo.active_principal(session, username)
    return {"Authorization": f"Bearer {issue_token(TokenClaims(p.username, p.role, p.unit_id, p.id), get_settings())}"}


def promise(campaign: str, data: bytes, **overrides) -> dict:
    """An upload request for `data` as a teacher's lesson video."""
    return {"campaign": campaign, "school": S1, "teacher": TEACHER, "micro_ability": "A1", "item": "lesson_video",
            "file_name": NAME, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **overrides}


def send(ticket: dict, data: bytes, key: str | None = None) -> httpx.Response:
    """What a browser does with a ticket: POST its fields and the file to its URL (the API's, or S3's)."""
    fields, files = {**ticket["fields"], **({"key": key} if key else {})}, {"file": ("f.bin", data, "video/mp4")}
    if ticket["url"].startswith("/"):
        return http.post(ticket["url"], data=fields, files=files)
    return httpx.post(ticket["url"], data=fields, files=files, timeout=30)


def evidence_count(campaign: str) -> int:
    """Evidence records of the campaign."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Evidence).where(
            Evidence.campaign_id == repo.campaign_by_code(session, campaign).id))


def started(campaign: str, data: bytes, user: str = TEACHER, **overrides) -> dict:
    """A started upload (201)."""
    answer = http.post("/evidence/uploads", json=promise(campaign, data, **overrides), headers=auth(user))
    assert answer.status_code == 201, answer.text
    return answer.json()


def refused(answer: httpx.Response, status: int, *words: str) -> dict:
    """The problem document of a refusal, checked for its status and words."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert all(w in problem["detail"] for w in words), problem
    return problem


def lock(campaign: str, school: str) -> None:
    """Put the school in the locked state (as the county's pass does)."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, school)
        session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment.id)
                        .values(state=SchoolState.LOCKED))


def test_presigned_upload_is_verified_recorded_and_downloaded_under_its_name(campaign, store):
    upload = started(campaign, MP4)
    assert upload["key"] == f"{campaign}/DEMO-C1-X1/{S1}/{TEACHER}/A1/lesson_video-{upload['id']}"
    assert upload["ticket"]["max_size"] == len(MP4)
    assert send(upload["ticket"], MP4).status_code == 204
    done = http.post(upload["links"]["complete"], headers=auth(TEACHER))
    assert done.status_code == 201, done.text
    record = done.json()
    assert (record["original_name"], record["size"], record["content_type"]) == (NAME, len(MP4), "video/mp4")
    again = http.post(upload["links"]["complete"], headers=auth(TEACHER))
    assert again.status_code == 200 and again.json() == record

    link = http.get(f"/evidence/{record['id']}/download", headers=auth("demo-county-office"))
    assert link.status_code == 200
    url = link.json()["url"]
    got = http.get(url) if url.startswith("/") else httpx.get(url, timeout=30)
    assert got.status_code == 200 and got.content == MP4 and got.headers["content-type"] == "video/mp4"
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in got.headers["content-disposition"]
    listed = http.get("/evidence", params={"campaign": campaign, "school": S1}, headers=auth(f"{S1}-admin")).json()
    assert [e["id"] for e in listed["items"]] == [record["id"]]


def test_direct_upload_of_a_small_file_is_verified_like_a_presigned_one(campaign, local_store):
    data, admin = docx(), auth(f"{S1}-admin")
    form = {k: str(v) for k, v in promise(campaign, data, item="reflection", teacher=None, micro_ability=None,
                                          file_name="学校 教学反思.docx").items() if v is not None}
    answer = http.post("/evidence", data=form, files={"file": ("x.docx", data)}, headers=admin)
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["content_type"].endswith("wordprocessingml.document") and record["teacher_enrolment_id"] is None
    assert http.get(f"/evidence/{record['id']}", headers=auth(TEACHER)).status_code == 200  # school-wide

    wrong = http.post("/evidence", data={**form, "sha256": "0" * 64}, files={"file": ("x.docx", data)}, headers=admin)
    refused(wrong, 422, "SHA-256")
    big = os.urandom(DIRECT_MAX + 1)
    too_big = {**form, "size": str(len(big)), "sha256": hashlib.sha256(big).hexdigest()}
    refused(http.post("/evidence", data=too_big, files={"file": ("x.docx", big)}, headers=admin), 413,
            "direct upload limit", "/evidence/uploads")
    assert evidence_count(campaign) == 1
    with session_scope() as session:  # the refused direct upload left no upload pending
        statuses = session.scalars(select(EvidenceUpload.status).where(
            EvidenceUpload.campaign_id == repo.campaign_by_code(session, campaign).id)).all()
    assert statuses == ["completed"]


def test_links_are_only_for_users_in_scope(campaign, local_store):
    upload = started(campaign, MP4)
    send(upload["ticket"], MP4)
    record = http.post(upload["links"]["complete"], headers=auth(TEACHER)).json()
    for outsider in (f"{S2}-admin", COLLEAGUE):
        refused(http.get(f"/evidence/{record['id']}/download", headers=auth(outsider)), 403)
    refused(http.get("/evidence/999999/download", headers=auth(TEACHER)), 404)
    assert http.get("/evidence", params={"campaign": campaign}, headers=auth(COLLEAGUE)).json()["total"] == 0
    refused(http.get("/evidence", params={"campaign": campaign, "school": S1}, headers=auth(f"{S2}-admin")), 403)
    refused(http.get("/evidence/local-downloads/forged.token"), 403, "signature")

    refused(http.post("/evidence/uploads", json=promise(campaign, MP4), headers=auth("demo-county-office")), 403)
    refused(http.post("/evidence/uploads", json=promise(campaign, MP4), headers=auth(COLLEAGUE)), 403, "themselves")
    refused(http.post(upload["links"]["complete"], headers=auth(COLLEAGUE)), 403)


def test_a_wrong_checksum_is_refused_and_the_file_deleted(campaign, local_store):
    upload = started(campaign, MP4, sha256=hashlib.sha256(b"other").hexdigest())
    send(upload["ticket"], MP4)
    problem = refused(http.post(upload["links"]["complete"], headers=auth(TEACHER)), 422, "SHA-256")
    assert [e["field"] for e in problem["errors"]] == ["sha256"]
    assert local_store.versions(upload["key"]) == [] and evidence_count(campaign) == 0


def test_oversized_uploads_are_refused(campaign, store):
    refused(http.post("/evidence/uploads", json=promise(campaign, MP4, item="plan", size=21 * 1024 * 1024),
                      headers=auth(TEACHER)), 413, "item 'plan''s limit of 20 MB")
    refused(http.post("/evidence/uploads", json=promise(campaign, MP4, item="poster"), headers=auth(TEACHER)), 422,
            "item 'poster' is not one of the policy's")
    upload = started(campaign, MP4[:1000])
    answer = send(upload["ticket"], MP4)  # more than the ticket allows
    assert answer.status_code in (400, 413) and ("EntityTooLarge" in answer.text or "limit" in answer.text)
    bulky = send(upload["ticket"], os.urandom(200_000))  # past the cap and its overhead: refused before parsing
    assert bulky.status_code in (400, 413)
    refused(http.post(upload["links"]["complete"], headers=auth(TEACHER)), 422, "nothing was uploaded")
    assert evidence_count(campaign) == 0


def test_a_form_key_outside_the_ticket_is_refused(campaign, store):
    upload = started(campaign, MP4)
    elsewhere = upload["key"].rsplit("/", 2)[0] + "/B2/lesson_video-1"
    assert send(upload["ticket"], MP4, key=elsewhere).status_code == 403
    assert [v for v in store.versions(f"{campaign}/") if v.key == elsewhere] == []
    refused(http.post(upload["links"]["complete"], headers=auth(TEACHER)), 422, "nothing was uploaded")
    assert evidence_count(campaign) == 0


@pytest.mark.parametrize("data, says", [(PDF, "a pdf file"), (os.urandom(4000), "not a recognised file type")])
def test_a_forged_file_type_is_refused(campaign, local_store, data, says):
    upload = started(campaign, data)  # named .mp4
    send(upload["ticket"], data)
    problem = refused(http.post(upload["links"]["complete"], headers=auth(TEACHER)), 422, says, "mp4, mov")
    assert [e["field"] for e in problem["errors"]] == ["file"]
    assert local_store.versions(upload["key"]) == [] and evidence_count(campaign) == 0


@pytest.mark.parametrize("name", ["../../etc/passwd.mp4", "a/b.mp4", "..\\x.mp4"])
def test_a_name_with_a_path_is_refused(campaign, local_store, name):
    problem = refused(http.post("/evidence/uploads", json=promise(campaign, MP4, file_name=name),
                                headers=auth(TEACHER)), 422)
    assert problem["errors"][0]["field"] == "body.file_name"
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceUpload).where(
            EvidenceUpload.campaign_id == repo.campaign_by_code(session, campaign).id)) == 0


def test_nothing_of_a_locked_school_changes(campaign, local_store):
    before = started(campaign, MP4)
    send(before["ticket"], MP4)
    lock(campaign, S1)
    refused(http.post("/evidence/uploads", json=promise(campaign, MP4), headers=auth(TEACHER)), 423, S1, "locked")
    refused(http.post(before["links"]["complete"], headers=auth(TEACHER)), 423, S1)
    form = {k: str(v) for k, v in promise(campaign, MP4).items()}
    refused(http.post("/evidence", data=form, files={"file": ("v.mp4", MP4)}, headers=auth(TEACHER)), 423, S1)
    assert evidence_count(campaign) == 0
    assert started(campaign, MP4, school=S2, teacher=f"{S2}-t001", user=f"{S2}-t001")["id"]  # other schools go on

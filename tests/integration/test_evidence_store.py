"""The EvidenceStore contract, run against the local store and over HTTP against a real S3 server (LocalStack)."""
import hashlib
import io
import os
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest

from infra.evidence import EvidenceStore, LocalEvidenceStore, S3EvidenceStore, evidence_store as store_for_url
from infra.evidence.local import DOWNLOAD_PATH, UPLOAD_PATH
from models.errors import (
    EvidenceLocked, EvidenceMissing, EvidenceSizeMismatch, EvidenceStoreMisconfigured, EvidenceTooLarge,
    InvalidEvidenceKey, InvalidRetention, SignedLinkRefused,
)
from tests.integration.evidence_fixtures import evidence_store, post_upload, s3_server, s3_store  # noqa: F401

MIB = 1024 * 1024
KEY = "c2022/X1/S001/T0042/A1/教学设计.docx"
CHINESE_NAME = "王老师 教学设计（终稿）.docx"


def put_bytes(store, key: str, data: bytes, content_type: str = "application/octet-stream"):
    """put() from bytes."""
    return store.put(key, io.BytesIO(data), len(data), content_type)


def read_all(store, key: str, version_id: str) -> bytes:
    """Whole content of a version."""
    return b"".join(store.open(key, version_id))


def in_days(days: float) -> datetime:
    """A UTC time `days` from now."""
    return datetime.now(timezone.utc) + timedelta(days=days)


def stored_files(store) -> list[str]:
    """Local lane: every file under the store's root (nothing may be left by refused writes)."""
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())


def test_put_latest_versions_open_head_hash_round_trip(evidence_store):
    assert isinstance(evidence_store, EvidenceStore)
    data = b"%PDF-1.7\n" + os.urandom(3000)
    v = put_bytes(evidence_store, KEY, data, "application/pdf")
    other = put_bytes(evidence_store, "c2022/X1/S002/T0001/A1/x.bin", b"other school")
    assert (v.key, v.size, v.sha256, v.content_type) == (KEY, len(data), hashlib.sha256(data).hexdigest(), "application/pdf")
    latest = evidence_store.latest(KEY)
    assert (latest.version_id, latest.size, latest.sha256, latest.content_type) == (v.version_id, v.size, v.sha256,
                                                                                    "application/pdf")
    assert [(x.key, x.version_id, x.size) for x in evidence_store.versions("c2022/X1/S001/")] == [(KEY, v.version_id, len(data))]
    assert {x.version_id for x in evidence_store.versions("c2022/")} == {v.version_id, other.version_id}
    assert evidence_store.versions("c2022/X1/S003/") == [] and evidence_store.latest("c2022/none") is None
    assert read_all(evidence_store, KEY, v.version_id) == data
    assert evidence_store.head(KEY, v.version_id, 8) == b"%PDF-1.7"
    assert evidence_store.hash_of(KEY, v.version_id) == v.sha256
    assert evidence_store.legal_hold(KEY, v.version_id) is False and evidence_store.retention(KEY, v.version_id) is None


def test_second_put_is_a_new_version_and_the_old_one_stays_readable(evidence_store):
    first = put_bytes(evidence_store, KEY, b"first")
    second = put_bytes(evidence_store, KEY, b"second")
    assert first.version_id != second.version_id
    assert evidence_store.latest(KEY).version_id == second.version_id
    assert [v.version_id for v in evidence_store.versions(KEY)] == [first.version_id, second.version_id]
    assert read_all(evidence_store, KEY, first.version_id) == b"first"
    assert read_all(evidence_store, KEY, second.version_id) == b"second"


def test_delete_of_a_held_version_is_refused(evidence_store):
    v = put_bytes(evidence_store, KEY, b"held")
    evidence_store.set_legal_hold(KEY, v.version_id, True)
    assert evidence_store.legal_hold(KEY, v.version_id) is True
    with pytest.raises(EvidenceLocked) as refused:
        evidence_store.delete(KEY, v.version_id)
    assert refused.value.status_code == 423
    put_bytes(evidence_store, KEY, b"newer")  # "overwriting" only adds a version
    assert read_all(evidence_store, KEY, v.version_id) == b"held" and evidence_store.legal_hold(KEY, v.version_id)


def test_delete_of_a_retained_version_is_refused(evidence_store):
    v = put_bytes(evidence_store, KEY, b"archived")
    evidence_store.set_retention(KEY, v.version_id, in_days(2))
    with pytest.raises(EvidenceLocked):
        evidence_store.delete(KEY, v.version_id)
    evidence_store.set_legal_hold(KEY, v.version_id, False)  # lifting a hold never lifts the retention
    with pytest.raises(EvidenceLocked):
        evidence_store.delete(KEY, v.version_id)
    assert read_all(evidence_store, KEY, v.version_id) == b"archived"


def test_retention_cannot_be_shortened_but_can_be_extended(evidence_store):
    v = put_bytes(evidence_store, KEY, b"archived")
    until = in_days(5 * 365).replace(microsecond=0)
    evidence_store.set_retention(KEY, v.version_id, until)
    assert evidence_store.retention(KEY, v.version_id) == until
    with pytest.raises(EvidenceLocked):
        evidence_store.set_retention(KEY, v.version_id, until - timedelta(days=1))
    assert evidence_store.retention(KEY, v.version_id) == until
    evidence_store.set_retention(KEY, v.version_id, until + timedelta(days=30))
    assert evidence_store.retention(KEY, v.version_id) == until + timedelta(days=30)
    with pytest.raises(InvalidRetention):
        evidence_store.set_retention(KEY, put_bytes(evidence_store, KEY, b"x").version_id, in_days(-1))


def test_releasing_the_hold_allows_delete(evidence_store):
    older = put_bytes(evidence_store, KEY, b"older")
    v = put_bytes(evidence_store, KEY, b"held, then released")
    evidence_store.set_legal_hold(KEY, v.version_id, True)
    evidence_store.set_legal_hold(KEY, v.version_id, False)
    evidence_store.delete(KEY, v.version_id)
    assert [x.version_id for x in evidence_store.versions(KEY)] == [older.version_id]
    assert evidence_store.latest(KEY).version_id == older.version_id
    with pytest.raises(EvidenceMissing):
        evidence_store.open(KEY, v.version_id)
    with pytest.raises(EvidenceMissing):
        evidence_store.delete(KEY, v.version_id)


def test_a_12mb_multipart_upload_gets_its_hold(evidence_store):
    data = os.urandom(12 * MIB)
    v = put_bytes(evidence_store, KEY, data, "video/mp4")
    if isinstance(evidence_store, S3EvidenceStore):  # 5 MiB parts: a 3-part multipart upload
        etag = evidence_store.client.stat_object(evidence_store.bucket, KEY, version_id=v.version_id).etag
        assert etag.endswith("-3")
    evidence_store.set_legal_hold(KEY, v.version_id, True)
    assert evidence_store.legal_hold(KEY, v.version_id)
    with pytest.raises(EvidenceLocked):
        evidence_store.delete(KEY, v.version_id)
    assert evidence_store.hash_of(KEY, v.version_id) == hashlib.sha256(data).hexdigest() == v.sha256


def test_put_refuses_a_stream_of_another_size(evidence_store):
    with pytest.raises(EvidenceSizeMismatch):
        evidence_store.put(KEY, io.BytesIO(b"12345"), 4, "text/plain")
    with pytest.raises(EvidenceSizeMismatch):
        evidence_store.put(KEY, io.BytesIO(b"123"), 4, "text/plain")
    assert evidence_store.versions("") == []


def test_presigned_upload_is_accepted_as_a_new_version(evidence_store):
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(1000)
    ticket = evidence_store.presign_upload(KEY, 4096, timedelta(minutes=5))
    assert ticket.fields["key"] == KEY and ticket.max_size == 4096 and ticket.expires_at > datetime.now(timezone.utc)
    first = post_upload(evidence_store, ticket, data)
    second = post_upload(evidence_store, ticket, b"again")
    assert first.version_id != second.version_id and (first.size, second.size) == (len(data), 5)
    assert evidence_store.hash_of(KEY, first.version_id) == hashlib.sha256(data).hexdigest()
    assert evidence_store.head(KEY, first.version_id, 8) == data[:8]


def test_an_oversized_upload_is_refused_and_leaves_nothing(evidence_store):
    ticket = evidence_store.presign_upload(KEY, 1024, timedelta(minutes=5))
    before = stored_files(evidence_store) if isinstance(evidence_store, LocalEvidenceStore) else None
    with pytest.raises(EvidenceTooLarge) as refused:
        post_upload(evidence_store, ticket, os.urandom(1025))
    assert refused.value.status_code == 413
    assert evidence_store.versions("") == [] and evidence_store.latest(KEY) is None
    if before is not None:
        assert stored_files(evidence_store) == before
    assert post_upload(evidence_store, ticket, os.urandom(1024)).size == 1024  # exactly the limit is fine


def test_an_upload_outside_the_tickets_key_is_refused(evidence_store):
    ticket = evidence_store.presign_upload(KEY, 1024, timedelta(minutes=5))
    elsewhere = "c2022/X1/S999/T0001/A1/x.bin"
    with pytest.raises(SignedLinkRefused):
        post_upload(evidence_store, ticket, b"data", key=elsewhere)
    if isinstance(evidence_store, LocalEvidenceStore):  # a token altered to name another key
        forged = evidence_store.presign_upload(elsewhere, 1024, timedelta(minutes=5)).url.split(".")[0]
        with pytest.raises(SignedLinkRefused):
            post_upload(evidence_store, ticket, b"data", key=elsewhere, url=forged + "." + ticket.url.split(".")[1])
    assert evidence_store.versions("") == []


def test_an_expired_ticket_is_refused(evidence_store):
    ticket = evidence_store.presign_upload(KEY, 1024, timedelta(seconds=1))
    time.sleep(1.1)
    with pytest.raises(SignedLinkRefused):
        post_upload(evidence_store, ticket, b"late")
    assert evidence_store.versions("") == []


def test_presigned_download_returns_the_bytes_under_the_chinese_name(evidence_store):
    data = os.urandom(2000)
    v = put_bytes(evidence_store, KEY, data)
    link = evidence_store.presign_download(KEY, v.version_id, CHINESE_NAME, timedelta(minutes=5), "application/pdf")
    if isinstance(evidence_store, LocalEvidenceStore):
        assert link.startswith(DOWNLOAD_PATH)
        download = evidence_store.resolve_download(link.removeprefix(DOWNLOAD_PATH))
        body, disposition, served_as = download.path.read_bytes(), download.content_disposition, download.content_type
        assert download.filename == CHINESE_NAME and download.version.version_id == v.version_id
        with pytest.raises(SignedLinkRefused):
            evidence_store.resolve_download(link.removeprefix(DOWNLOAD_PATH)[:-2] + "xx")
        with pytest.raises(SignedLinkRefused):
            evidence_store.resolve_download("伪造.签名")
        with pytest.raises(SignedLinkRefused):  # an upload ticket is no download link
            evidence_store.resolve_download(evidence_store.presign_upload(KEY, 1, timedelta(minutes=1)).url
                                            .removeprefix(UPLOAD_PATH))
    else:
        answer = httpx.get(link, timeout=30)
        assert answer.status_code == 200
        body, disposition, served_as = answer.content, answer.headers["content-disposition"], answer.headers[
            "content-type"]
    assert body == data and served_as == "application/pdf"  # the sniffed type, not the one stored with the object
    assert disposition.startswith("attachment; ") and f"filename*=UTF-8''{quote(CHINESE_NAME, safe='')}" in disposition
    with pytest.raises(EvidenceMissing):
        evidence_store.presign_download(KEY, "0" * 24, CHINESE_NAME, timedelta(minutes=5))


@pytest.mark.parametrize("bad_key", ["../x", "a/../../x", "/abs", "a//b", "a/b/", "nul\x00.txt", "a\\b", "a/./b", ""])
def test_unsafe_keys_are_refused_and_nothing_is_written(evidence_store, bad_key):
    with pytest.raises(InvalidEvidenceKey) as refused:
        put_bytes(evidence_store, bad_key, b"x")
    assert refused.value.status_code == 422 and refused.value.detail
    with pytest.raises(InvalidEvidenceKey):
        evidence_store.presign_upload(bad_key, 10, timedelta(minutes=1))
    assert evidence_store.versions("") == []
    if isinstance(evidence_store, LocalEvidenceStore):
        assert stored_files(evidence_store) == [] and not (evidence_store.root.parent / "x").exists()


def test_hash_of_reports_corrupt_and_missing_versions(evidence_store):
    v = put_bytes(evidence_store, KEY, b"original evidence")
    with pytest.raises(EvidenceMissing):
        evidence_store.hash_of(KEY, "0" * 24 if isinstance(evidence_store, LocalEvidenceStore) else "nonexistent")
    with pytest.raises(EvidenceMissing):
        evidence_store.legal_hold(KEY + ".missing", v.version_id)
    if isinstance(evidence_store, LocalEvidenceStore):
        path = evidence_store.objects / KEY / ".v" / v.version_id
        os.chmod(path, 0o644)
        path.write_bytes(b"tampered evidence")
        assert evidence_store.hash_of(KEY, v.version_id) != v.sha256
        path.unlink()
        with pytest.raises(EvidenceMissing):
            evidence_store.hash_of(KEY, v.version_id)


def test_s3_bucket_without_object_lock_is_refused(s3_server):
    store = s3_store(s3_server)
    store.client.make_bucket(store.bucket)
    with pytest.raises(EvidenceStoreMisconfigured):
        store.ensure_ready()
    ready = s3_store(s3_server)
    ready.ensure_ready()
    ready.ensure_ready()


def test_store_urls(tmp_path, monkeypatch):
    local = store_for_url(str(tmp_path / "ev"), "secret")
    assert isinstance(local, LocalEvidenceStore) and local.root == tmp_path / "ev"
    assert store_for_url(f"file://{tmp_path}/ev", "secret").root == tmp_path / "ev"
    s3 = store_for_url("s3://AK:S%2Fk@minio:9000/evidence?secure=false&region=cn-north-1", "secret")
    assert isinstance(s3, S3EvidenceStore) and (s3.bucket, s3.region, s3.public_url) == ("evidence", "cn-north-1",
                                                                                           "http://minio:9000/evidence")
    monkeypatch.setenv("TISHENG_S3_ACCESS_KEY", "AK")
    monkeypatch.setenv("TISHENG_S3_SECRET_KEY", "SK")
    assert store_for_url("s3://minio.example.cn/evidence", "").public_url == "https://minio.example.cn/evidence"
    monkeypatch.delenv("TISHENG_S3_SECRET_KEY")
    for bad in ["", "http://minio/evidence", "s3://AK:hunter2@minio:9000", "s3://AK:hunter2@minio:9000/Bad_Bucket",
                "s3://AK:hunter2@minio:9000/evidence?secure=maybe", "s3://AK:hunter2@minio:9000/evidence?colour=red",
                "s3://AK@minio:9000/evidence", "s3://AK:hunter2@minio:port/evidence"]:
        with pytest.raises(EvidenceStoreMisconfigured) as refused:
            store_for_url(bad, "secret")
        assert "\n" not in refused.value.detail and "hunter2" not in refused.value.detail
    with pytest.raises(EvidenceStoreMisconfigured):
        store_for_url(str(tmp_path), "")


def test_leftovers_of_unfinished_writes_are_listed_and_removed_and_versions_are_not_leftovers(evidence_store):
    kept = put_bytes(evidence_store, KEY, b"a finished version")
    if isinstance(evidence_store, LocalEvidenceStore):  # what a crash between the steps of a write leaves
        vdir = evidence_store.objects / KEY / ".v"
        for path in (evidence_store.incoming / "0000000000000001aaaaaaaa.part", vdir / "0000000000000002bbbbbbbb",
                     vdir / ".tmp-0123456789abcdef"):
            path.write_bytes(b"half")
        expected = {"incoming/0000000000000001aaaaaaaa.part", f"objects/{KEY}/.v/0000000000000002bbbbbbbb",
                    f"objects/{KEY}/.v/.tmp-0123456789abcdef"}
    else:  # a multipart put that crashed before completing
        upload_id = evidence_store.client._create_multipart_upload(evidence_store.bucket, KEY, {})
        expected = {f"{KEY}\t{upload_id}"}
    leftovers = evidence_store.leftovers()
    assert {f.name for f in leftovers} == expected
    assert all(abs(f.created_at - datetime.now(timezone.utc)) < timedelta(minutes=5) for f in leftovers)
    for leftover in leftovers:
        evidence_store.remove_leftover(leftover.name)
    assert evidence_store.leftovers() == []
    with pytest.raises(EvidenceMissing):
        evidence_store.remove_leftover(leftovers[0].name)
    with pytest.raises(EvidenceMissing):  # a finished version is never a leftover
        evidence_store.remove_leftover(f"objects/{KEY}/.v/{kept.version_id}" if isinstance(
            evidence_store, LocalEvidenceStore) else f"{KEY}\tno-such-upload")
    assert read_all(evidence_store, KEY, kept.version_id) == b"a finished version"

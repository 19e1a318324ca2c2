"""Evidence store fixtures: one LocalStack S3 server per session, a fresh store of each backend per test.

Import the fixtures into a test module: `from tests.integration.evidence_fixtures import evidence_store, s3_server`.
"""
import io
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infra.evidence import EvidenceStore, LocalEvidenceStore, S3EvidenceStore, StoredVersion, UploadTicket
from infra.evidence.local import UPLOAD_PATH
from infra.evidence.s3 import upload_refusal
from tests.support.s3_server import S3Server, start_s3_server

LINK_SECRET = "evidence-test-link-secret"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A LocalStack S3 server (object lock, POST policies enforced) for the whole session."""
    with start_s3_server() as server:
        yield server


def s3_store(server: S3Server, bucket: str | None = None, **kwargs) -> S3EvidenceStore:
    """An S3 store on the test server (bucket not created); a bucket name no other test uses by default."""
    return S3EvidenceStore(server.endpoint, server.access_key, server.secret_key, bucket or f"ev-{uuid.uuid4().hex[:16]}",
                           secure=False, region=server.region, **kwargs)


@pytest.fixture(params=["local", "s3"])
def evidence_store(request, tmp_path) -> EvidenceStore:
    """A ready, empty evidence store of each backend: a fresh directory or a fresh object-lock bucket."""
    if request.param == "local":
        store: EvidenceStore = LocalEvidenceStore(tmp_path / "evidence", LINK_SECRET)
    else:
        store = s3_store(request.getfixturevalue("s3_server"))
    store.ensure_ready()
    return store


def post_upload(store: EvidenceStore, ticket: UploadTicket, data: bytes, *, key: str | None = None,
                url: str | None = None) -> StoredVersion:
    """Do what a browser does with a ticket (optionally with another key field or URL); refusals as domain errors."""
    fields = {**ticket.fields, "key": key or ticket.key}
    url = url or ticket.url
    if isinstance(store, LocalEvidenceStore):
        assert url.startswith(UPLOAD_PATH)
        return store.receive_upload(url.removeprefix(UPLOAD_PATH), io.BytesIO(data), key=fields["key"])
    answer = httpx.post(url, data=fields, files={"file": ("upload.bin", data, "application/octet-stream")}, timeout=30)
    if answer.status_code >= 300:
        raise upload_refusal(answer.status_code, answer.text)
    version = next(v for v in store.versions(fields["key"]) if v.version_id == answer.headers["x-amz-version-id"])
    return version

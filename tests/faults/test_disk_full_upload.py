"""Fault: the local evidence store's disk fills up during an upload (a real 2 MiB tmpfs mounted for the test).

The upload is refused as EvidenceStoreFull (507 problem+json on the API), leaves no partial file in incoming/ or
objects/, and the same upload succeeds once space is freed. Through the API (on SQLite and PostgreSQL): no evidence
record without its object nor object without its record, and no upload left pending by a refused direct upload.
"""
import hashlib
import io
import os
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from infra import repository as repo
from infra.db import session_scope
from infra.evidence import LocalEvidenceStore, _ready_store, get_evidence_store
from infra.settings import get_settings
from models.catalog import load_catalog
from models.errors import EvidenceStoreFull
from models.evidence import EvidenceUpload
from models.policy import EvidenceRules, load_preset
from tasks.demo_setup import insert_demo_campaign
from tests.faults import store_invariants as inv
from tests.integration.conftest import campaign_code, data_dir, database  # noqa: F401  (fixtures)
from tests.integration.test_evidence_api import S1, TEACHER, auth, http, promise, refused, send

SIZE = 2 * 1024 * 1024
KEY = "c/county/school/_school/_all/report-1"


@pytest.fixture
def full_disk(tmp_path):
    """A directory on its own 2 MiB tmpfs (we run as root), unmounted afterwards."""
    root = tmp_path / "tmpfs"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(root)], capture_output=True)
    assert mounted.returncode == 0, f"cannot mount a tmpfs (the fault suite runs as root): {mounted.stderr!r}"
    yield root
    subprocess.run(["umount", "-l", str(root)], check=True)


def free_bytes(path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_a_full_disk_refuses_the_upload_leaves_nothing_and_the_retry_succeeds(full_disk):
    store = LocalEvidenceStore(full_disk / "evidence", "disk-full-test-link-secret")
    store.ensure_ready()
    filler = full_disk / "filler"
    filler.write_bytes(b"x" * (SIZE // 2))
    data = os.urandom(SIZE * 3 // 4)  # fits the disk, not what is left of it

    ticket = store.presign_upload(KEY, len(data), timedelta(minutes=5))
    token = ticket.url.rsplit("/", 1)[1]
    with pytest.raises(EvidenceStoreFull) as refused:
        store.receive_upload(token, io.BytesIO(data), key=KEY)
    assert refused.value.status_code == 507
    with pytest.raises(EvidenceStoreFull):
        store.put(KEY, io.BytesIO(data), len(data), "application/pdf")
    assert store.versions("c/") == [] and inv.local_store_leftovers(store) == []

    exact = free_bytes(full_disk)  # the bytes fit exactly; the version's sidecar then finds no room
    with pytest.raises(EvidenceStoreFull):
        store.put(KEY, io.BytesIO(b"y" * exact), exact, "application/pdf")
    assert store.versions("c/") == [] and inv.local_store_leftovers(store) == []

    filler.unlink()  # space freed: the same ticket now works
    version = store.receive_upload(token, io.BytesIO(data), key=KEY)
    assert store.hash_of(KEY, version.version_id) == version.sha256
    assert [v.version_id for v in store.versions("c/")] == [version.version_id]
    assert inv.local_store_leftovers(store) == []


# --- through the API: the store the settings name, rooted on the tmpfs ---

FILLER = SIZE * 3 // 4  # leaves ~512 KiB
CLIP = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(SIZE * 3 // 8)  # ~768 KiB: fits once freed


@pytest.fixture
def api_store(full_disk, database, monkeypatch):  # noqa: F811
    """The API's configured evidence store (TISHENG_EVIDENCE_URL) on the tmpfs."""
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", str(full_disk / "evidence"))
    get_settings.cache_clear()
    _ready_store.cache_clear()
    yield get_evidence_store()
    get_settings.cache_clear()
    _ready_store.cache_clear()


@pytest.fixture
def campaign(api_store, campaign_code) -> str:  # noqa: F811
    """A demo campaign whose direct uploads take up to 1 MB (so the clip may go either way)."""
    policy = load_preset("yanzhou-2022")
    policy = policy.model_copy(update={"evidence": EvidenceRules(direct_upload_max_mb=1)})
    insert_demo_campaign.fn(campaign_code, policy, load_catalog(), schools=1, teachers=1)
    return campaign_code


def uploads(campaign: str) -> list[EvidenceUpload]:
    """Every upload row of the campaign (detached)."""
    with session_scope() as session:
        rows = list(session.scalars(select(EvidenceUpload).where(
            EvidenceUpload.campaign_id == repo.campaign_by_code(session, campaign).id)))
        session.expunge_all()
        return rows


def consistent(store: LocalEvidenceStore, campaign: str) -> list[str]:
    """Records match objects, and nothing is half-written in the store."""
    return inv.records_match_objects(store, campaign) + inv.local_store_leftovers(store)


def test_a_full_disk_refuses_a_ticket_upload_and_the_same_ticket_works_once_space_is_freed(api_store, campaign,
                                                                                          full_disk):
    upload = http.post("/evidence/uploads", json=promise(campaign, CLIP), headers=auth(TEACHER)).json()
    filler = full_disk / "filler"
    filler.write_bytes(b"x" * FILLER)

    refused(send(upload["ticket"], CLIP), 507, "disk is full")
    assert inv.campaign_evidence(campaign) == [] and api_store.versions(f"{campaign}/") == []
    assert consistent(api_store, campaign) == []
    refused(http.post(upload["links"]["complete"], headers=auth(TEACHER)), 422)  # nothing stored to complete
    assert [u.id for u in inv.pending_uploads(campaign)] == [upload["id"]]  # still open for its ticket

    filler.unlink()
    assert send(upload["ticket"], CLIP).status_code == 204
    done = http.post(upload["links"]["complete"], headers=auth(TEACHER))
    assert done.status_code == 201, done.text
    assert done.json()["sha256"] == hashlib.sha256(CLIP).hexdigest()
    assert [e.id for e in inv.campaign_evidence(campaign)] == [done.json()["id"]]
    assert consistent(api_store, campaign) == [] and inv.pending_uploads(campaign) == []


def test_a_full_disk_refuses_a_direct_upload_leaves_no_pending_row_and_the_same_key_retries(api_store, campaign,
                                                                                           full_disk):
    form = {k: str(v) for k, v in promise(campaign, CLIP).items()}
    post = lambda: http.post("/evidence", data=form, files={"file": ("clip.mp4", CLIP)},  # noqa: E731
                             headers={**auth(TEACHER), "Idempotency-Key": "clip-1"})
    filler = full_disk / "filler"
    filler.write_bytes(b"x" * FILLER)

    refused(post(), 507, "disk is full")
    assert inv.campaign_evidence(campaign) == [] and api_store.versions(f"{campaign}/") == []
    assert consistent(api_store, campaign) == []
    assert uploads(campaign) == []  # the refused upload's row is gone, not pending for good

    filler.unlink()
    first = post()
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers, first.text
    replay = post()
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert [e.id for e in inv.campaign_evidence(campaign)] == [first.json()["id"]]
    assert [u.status for u in uploads(campaign)] == ["completed"]
    assert consistent(api_store, campaign) == []

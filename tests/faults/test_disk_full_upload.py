"""Fault: the local evidence store's disk fills up during an upload (a real 2 MiB tmpfs mounted for the test).

The upload is refused as EvidenceStoreFull (507 problem+json on the API), leaves no partial file in incoming/ or
objects/, and the same upload succeeds once space is freed.
"""
import io
import os
import subprocess
from datetime import timedelta

import pytest

from infra.evidence import LocalEvidenceStore
from models.errors import EvidenceStoreFull
from tests.faults import store_invariants as inv

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

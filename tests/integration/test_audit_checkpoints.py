"""Audit checkpoints end to end: written by the flow into each evidence store under COMPLIANCE retention, and
`tisheng audit verify` naming truncation, rewriting and a replaced tail, on SQLite and PostgreSQL."""
import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from flows.audit import audit_checkpoint
from infra import repository as repo
from infra.audit_checkpoints import stored_checkpoints
from infra.db import migrate, session_scope
from infra.evidence import LocalEvidenceStore, _ready_store
from infra.settings import get_settings
from models.audit import AuditEntry, seal
from models.audit_checkpoint import CHECKPOINT_PREFIX, Checkpoint, years_later
from models.clock import utcnow
from models.errors import EvidenceLocked
from tests.integration.conftest import _create_pg_database, _drop_pg_database
from tests.integration.evidence_fixtures import s3_server, s3_store  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path, monkeypatch) -> str:
    """A migrated database of each backend for this test alone: its audit chain is tampered with."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tisheng.db'}"
    else:
        name, url = _create_pg_database()
    monkeypatch.setenv("TISHENG_DATABASE_URL", url)
    get_settings.cache_clear()
    migrate(url)
    yield url
    get_settings.cache_clear()
    if name:
        _drop_pg_database(name, url)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    """A fresh evidence store of each backend, made the one the settings name; its URL on `store.url`."""
    if request.param == "local":
        store = LocalEvidenceStore(tmp_path / "evidence", get_settings().secret_key.get_secret_value())
        url = str(store.root)
    else:
        server = request.getfixturevalue("s3_server")
        store = s3_store(server)
        url = f"s3://{server.access_key}:{server.secret_key}@{server.endpoint}/{store.bucket}?secure=false" \
              f"&region={server.region}"
    store.ensure_ready()
    store.url = url
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", url)
    get_settings.cache_clear()
    _ready_store.cache_clear()
    yield store
    get_settings.cache_clear()
    _ready_store.cache_clear()


def append(n: int, **payload) -> list[int]:
    """Append n entries to the chain as the application does; their ids."""
    entries = [AuditEntry(actor="county-office", event="approve_plan", from_state="plan_review",
                          to_state="training", payload={"n": i, "学校": "一中", **payload}) for i in range(n)]
    with session_scope() as session:
        repo.append_audit(session, entries)
        return [e.id for e in entries]


def entries() -> list[AuditEntry]:
    with session_scope() as session:
        return list(repo.audit_entries(session))


def verify(store, data_dir) -> subprocess.CompletedProcess:
    """`tisheng audit verify` in a fresh process against this test's database and store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TISHENG_", "PREFECT_"))}
    env.update(TISHENG_DATA_DIR=str(data_dir), TISHENG_DATABASE_URL=get_settings().db_url,
               TISHENG_EVIDENCE_URL=store.url)
    return subprocess.run([sys.executable, "-m", "tisheng_cli.main", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)


def the_checkpoints(store) -> list[Checkpoint]:
    found, problems = stored_checkpoints(store)
    assert problems == []
    return sorted(found, key=lambda c: c.written_at)


def test_deleting_the_last_three_entries_after_a_checkpoint_is_named(fresh_database, store, prefect_harness,
                                                                     tmp_path):
    ids = append(6)
    assert audit_checkpoint().written
    with session_scope() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id > ids[2]))
    done = verify(store, tmp_path)
    assert done.returncode == 1, done.stdout
    (checkpoint,) = the_checkpoints(store)
    assert done.stdout.splitlines() == [
        f"audit log truncated after entry {ids[2]}: {checkpoint.label} recorded entry {ids[5]} as entry number 6; "
        "the log now has 3 entries"]
    assert done.stderr == "error: audit chain NOT OK: 1 problem(s) over 3 entries and 1 checkpoint(s)\n"


@pytest.mark.parametrize("store", ["local"], indirect=True)
def test_a_rewritten_payload_with_recomputed_hashes_is_named(fresh_database, store, prefect_harness, tmp_path):
    first = append(3)
    audit_checkpoint()
    second = append(3)
    audit_checkpoint()
    with session_scope() as session:  # rewrite entry 5's payload and re-seal it and everything after it
        chain = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        chain[4].payload = {"n": 1, "学校": "二中", "grade": "excellent"}
        for before, entry in zip(chain[3:], chain[4:]):
            seal(entry, before.entry_hash)
            session.add(entry)
    done = verify(store, tmp_path)
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"entries {first[2] + 1}–{second[2]} rewritten: at entry {second[2]} "
                           f"{the_checkpoints(store)[1].label} recorded hash")


@pytest.mark.parametrize("store", ["local"], indirect=True)
def test_a_replaced_tail_is_named(fresh_database, store, prefect_harness, tmp_path):
    ids = append(6)
    audit_checkpoint()
    with session_scope() as session:  # delete the tail, then forge new entries under the same ids
        session.execute(delete(AuditEntry).where(AuditEntry.id > ids[2]))
        prev = repo.chain_head(session)
        for n in ids[3:]:
            forged = seal(AuditEntry(id=n, actor="county-office", event="approve_plan", payload={"forged": n}), prev)
            session.add(forged)
            session.flush()
            prev = forged.entry_hash
    assert [e.id for e in entries()] == ids
    done = verify(store, tmp_path)
    assert done.returncode == 1
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"tail replaced from entry {ids[3]}: entry {ids[3]} and later ones were created after the "
                           "checkpoint that covers them")


def test_a_checkpoint_cannot_be_deleted_shortened_or_overwritten(fresh_database, store, prefect_harness, tmp_path):
    append(4)
    outcome = audit_checkpoint()
    (version,) = store.versions(CHECKPOINT_PREFIX)
    (checkpoint,) = the_checkpoints(store)
    assert version.key == outcome.key == checkpoint.key
    until = store.retention(version.key, version.version_id)
    assert outcome.retained_until == years_later(checkpoint.written_at, 10)
    assert timedelta(0) <= until - outcome.retained_until < timedelta(seconds=1)  # whole seconds, rounded up
    with pytest.raises(EvidenceLocked):
        store.delete(version.key, version.version_id)
    with pytest.raises(EvidenceLocked):
        store.set_retention(version.key, version.version_id, utcnow() + timedelta(days=30))
    forged = checkpoint.model_copy(update={"entry_hash": "f" * 64}).to_json()
    store.put(version.key, io.BytesIO(forged), len(forged), "application/json")  # a new version, never a replacement
    original = store.head(version.key, version.version_id)
    assert original == checkpoint.to_json()
    done = verify(store, tmp_path)
    assert done.returncode == 1
    assert f"checkpoint object {version.key} was written 2 times (an overwrite attempt); every version is checked" \
        in done.stdout.splitlines()


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_a_delete_marker_does_not_hide_a_checkpoint(fresh_database, store, prefect_harness, tmp_path):
    ids = append(3)
    outcome = audit_checkpoint()
    store.client.remove_object(store.bucket, outcome.key)  # a plain DELETE: S3 only adds a delete marker
    assert store.latest(outcome.key) is None
    with session_scope() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == ids[2]))
    done = verify(store, tmp_path)
    assert done.returncode == 1 and done.stdout.startswith(f"audit log truncated after entry {ids[1]}:")


def test_the_flow_skips_an_unmoved_head_and_retains_for_the_configured_years(fresh_database, store, prefect_harness,
                                                                             tmp_path, monkeypatch):
    monkeypatch.setenv("TISHENG_AUDIT_CHECKPOINT_YEARS", "3")
    get_settings.cache_clear()
    empty = audit_checkpoint()
    assert not empty.written and empty.skipped.startswith("the audit log is empty")
    ids = append(5)
    written = audit_checkpoint()
    assert (written.written, written.entry_id, written.count) == (True, ids[-1], 5)
    (checkpoint,) = the_checkpoints(store)
    assert store.retention(checkpoint.key, store.versions(checkpoint.key)[0].version_id).year \
        == checkpoint.written_at.year + 3
    again = audit_checkpoint()
    assert not again.written and again.skipped == f"the head (entry {ids[-1]}) has not moved since {checkpoint.label}"
    assert again.summary == f"audit checkpoint skipped: {again.skipped}"
    more = append(2)
    moved = audit_checkpoint()
    assert moved.written and moved.entry_id == more[-1] and len(the_checkpoints(store)) == 2
    append(1)
    done = verify(store, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"audit chain OK: 8 entries, 2 checkpoints, newest checkpoint at entry {more[-1]} (")
    assert done.stdout.rstrip().endswith("; 1 newer entries not anchored yet")


@pytest.mark.parametrize("fresh_database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("store", ["local"], indirect=True)
def test_an_unreachable_store_is_a_one_line_refusal(fresh_database, store, tmp_path):
    append(1)
    store.url = "s3://a:b@127.0.0.1:9/audit-bucket?secure=false"
    done = verify(store, tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: cannot read the audit checkpoints:") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("fresh_database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("store", ["local"], indirect=True)
def test_the_checkpoint_command_writes_then_skips(fresh_database, store, tmp_path):
    ids = append(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TISHENG_", "PREFECT_"))}
    env.update(TISHENG_DATA_DIR=str(tmp_path / "data"), TISHENG_DATABASE_URL=fresh_database,
               TISHENG_EVIDENCE_URL=store.url,
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240")  # a loaded 2-core machine starts it slowly

    def checkpoint_command() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tisheng_cli.main", "audit", "checkpoint"], env=env,
                              capture_output=True, text=True, timeout=400)

    first = checkpoint_command()
    assert first.returncode == 0, first.stderr
    (checkpoint,) = the_checkpoints(store)
    assert first.stdout.startswith(f"audit checkpoint written at entry {ids[-1]} (2 entries): {checkpoint.key}, "
                                   f"COMPLIANCE retention until {checkpoint.written_at.year + 10}-")
    second = checkpoint_command()
    assert second.returncode == 0
    assert second.stdout == f"audit checkpoint skipped: the head (entry {ids[-1]}) has not moved since " \
                            f"{checkpoint.label}\n"

"""Fault: the S3 server is SIGKILLed halfway through locking a school's evidence, then restarted on the same port
with the same data; `tisheng evidence lock` (the operator's retry) finishes the lock.

The killed process is the S3 endpoint the application talks to (tests/faults/s3_relay.py, in front of LocalStack,
whose community edition cannot keep data across its own restart); see that module for why.
"""
import signal
import threading
import time

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.evidence import lock_school_evidence
from infra.db import session_scope
from infra.evidence import _ready_store
from infra.settings import get_settings
from models.campaign import SchoolEnrolment
from models.enums import SchoolState
from models.errors import EvidenceStoreUnavailable
from models.evidence import Evidence
from tests.faults import store_invariants as inv
from tests.faults.s3_relay import start_relay
from tests.integration.conftest import campaign_code, data_dir, database, prefect_harness  # noqa: F401  (fixtures)
from tests.integration.evidence_fixtures import s3_server, s3_store  # noqa: F401  (fixtures)
from tests.integration.test_evidence_lock import locked_school
from tests.support.s3_server import free_port
from tisheng_cli.main import app

SCHOOL, COUNTY = "DEMO-X1-S001", "DEMO-C1-X1"
# 10 batches, 4 in flight. The relay counts a hold when it forwards the request, and the kill cuts the answers still
# on their way: of 11 forwarded, up to 4 are unanswered, and 7 answers over 4 workers finish at least 2 batches
# (3 + 1 + 1 + 1 would finish only one), whatever the threads' timing; 9 left it to the timing (1 batch, now and
# then).
VERSIONS, BATCH, KILL_AFTER_HOLDS = 20, 2, 11


@pytest.fixture
def relay(s3_server, database, prefect_harness, monkeypatch):  # noqa: F811
    """A fresh object-lock bucket reached through a relay port; the settings name that port as the evidence store."""
    backend = s3_store(s3_server)
    backend.ensure_ready()
    port = free_port()
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", f"s3://test:test@127.0.0.1:{port}/{backend.bucket}?secure=false")
    get_settings.cache_clear()
    _ready_store.cache_clear()
    procs = []
    yield backend, port, s3_server.port, procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    get_settings.cache_clear()
    _ready_store.cache_clear()


def school(enrolment_id: int) -> SchoolEnrolment:
    with session_scope() as session:
        row = session.get(SchoolEnrolment, enrolment_id)
        session.expunge(row)
        return row


def held_flags(enrolment_id: int) -> list[bool]:
    with session_scope() as session:
        return list(session.scalars(select(Evidence.held).where(Evidence.school_enrolment_id == enrolment_id)
                                    .order_by(Evidence.id)))


def kill_when_halted(proc) -> threading.Thread:
    """SIGKILL the relay as soon as it reports that it holds the next legal-hold request unanswered."""
    def watch():
        if proc.stdout.readline().startswith("halted"):
            proc.send_signal(signal.SIGKILL)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_s3_killed_halfway_through_the_lock_then_restarted_and_the_rerun_holds_the_rest(relay, campaign_code):  # noqa: F811
    backend, port, backend_port, procs = relay
    enrolment = locked_school(campaign_code, backend, VERSIONS)
    audit_before = inv.audit_entry_count()

    procs.append(proc := start_relay(port, backend_port, halt_after=KILL_AFTER_HOLDS))
    watcher = kill_when_halted(proc)
    started = time.monotonic()
    with pytest.raises(EvidenceStoreUnavailable):
        lock_school_evidence(enrolment, batch_size=BATCH)
    failed_after = time.monotonic() - started
    watcher.join(5)
    assert proc.wait(5) == -signal.SIGKILL  # the server really died mid-lock
    assert failed_after < 30, f"the lock flow took {failed_after:.1f}s to fail with the store gone"

    # Failed cleanly: the school is still locked but does not count as locked; only whole batches are recorded.
    after_kill = school(enrolment)
    assert after_kill.state == SchoolState.LOCKED and after_kill.evidence_held_at is None
    flags = held_flags(enrolment)
    recorded = sum(flags)
    assert BATCH * 2 <= recorded < VERSIONS and recorded % BATCH == 0, flags
    assert all(flags[i] == flags[i - i % BATCH] for i in range(VERSIONS)), flags  # a batch is recorded whole or not
    assert inv.recorded_holds_are_real(backend, campaign_code) == []  # checked on the server behind the dead port

    procs.append(start_relay(port, backend_port))  # the same port, the same data
    runner = CliRunner()
    done = runner.invoke(app, ["evidence", "lock", SCHOOL, "--campaign", campaign_code])
    assert (done.exit_code, done.output.strip()) == (0, f"{SCHOOL}: every evidence version held"), done.output
    locked = school(enrolment)
    assert locked.evidence_held_at is not None

    again = runner.invoke(app, ["evidence", "lock", SCHOOL, "--campaign", campaign_code])
    assert again.exit_code == 0 and school(enrolment).evidence_held_at == locked.evidence_held_at  # stamped once

    assert inv.records_match_objects(backend, campaign_code) == []
    assert inv.recorded_holds_are_real(backend, campaign_code, all_held=True) == []
    assert inv.audit_chain_problems() == []
    assert inv.audit_entry_count() == audit_before  # the failure and the retries wrote no audit noise


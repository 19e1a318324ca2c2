"""Locking a school of ~3,000 evidence objects on the S3 test server: Tisheng's lock flow against a plain loop.

    uv run python bench/evidence_lock.py [--objects 3000] [--batch 100]

Starts the LocalStack S3 server of the tests (object lock enforced), uploads two sets of N small objects into an
object-lock bucket, then in the same run: (1) a plain minio-SDK loop putting a legal hold on every version of the
first set, (2) the `lock-school-evidence` flow (heartbeat off) holding every version of the second set, recorded
as evidence of one school on embedded SQLite, batches behind the `evidence-store` global concurrency limit.
Two rounds in ABBA order (holds lifted, untimed, between rounds). Prints objects/s for both and their ratio.
"""
import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TISHENG_DATA_DIR", tempfile.mkdtemp(prefix="tisheng-bench-"))

from infra.prefect_env import configure_prefect_env  # noqa: E402
from infra.settings import get_settings  # noqa: E402

configure_prefect_env(get_settings())

from flows.deployments import ensure_concurrency_limits  # noqa: E402
from flows.evidence import lock_school_evidence  # noqa: E402
from infra import repository as repo  # noqa: E402
from infra.db import migrate, session_scope  # noqa: E402
from infra.evidence import S3EvidenceStore  # noqa: E402
from infra.prefect_env import fast_flow_runs  # noqa: E402
from models.campaign import SchoolEnrolment  # noqa: E402
from models.catalog import load_catalog  # noqa: E402
from models.enums import SchoolState  # noqa: E402
from models.evidence import Evidence  # noqa: E402
from models.policy import load_preset  # noqa: E402
from tasks.demo_setup import insert_demo_campaign  # noqa: E402
from tests.support.s3_server import start_s3_server  # noqa: E402
from sqlalchemy import update  # noqa: E402

SCHOOL = "DEMO-X1-S001"


def upload(store: S3EvidenceStore, prefix: str, count: int) -> list[tuple[str, str, str]]:
    """`count` small objects under the prefix, uploaded 8 at a time; (key, version id, sha256) of each."""
    def one(n: int) -> tuple[str, str, str]:
        data = f"evidence {n} under {prefix}".encode()
        version = store.put(f"{prefix}/report-{n}", io.BytesIO(data), len(data), "application/pdf")
        return version.key, version.version_id, version.sha256

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def record(campaign: str, objects: list[tuple[str, str, str]]) -> int:
    """A locked school of a new campaign whose evidence is these objects; its enrolment id."""
    insert_demo_campaign.fn(campaign, load_preset("yanzhou-2022"), load_catalog(), 1, 1)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        enrolment.state = SchoolState.LOCKED
        session.add_all(Evidence(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item="report",
                                 key=key, version_id=version, size=1, sha256=sha, content_type="application/pdf",
                                 original_name="报告.pdf", uploaded_by="bench") for key, version, sha in objects)
        return enrolment.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    migrate()
    with start_s3_server() as server:
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        url = f"s3://{server.access_key}:{server.secret_key}@{server.endpoint}/{bucket}?secure=false"
        os.environ["TISHENG_EVIDENCE_URL"] = url
        get_settings.cache_clear()
        store = S3EvidenceStore(server.endpoint, server.access_key, server.secret_key, bucket, secure=False,
                                region=server.region)
        store.ensure_ready()
        start = time.perf_counter()
        plain_set, flow_set = upload(store, "plain", args.objects), upload(store, "flow", args.objects)
        print(f"S3 server up in {server.startup_seconds:.1f} s; {2 * args.objects} objects uploaded in "
              f"{time.perf_counter() - start:.1f} s")
        enrolment = record(f"bench-{uuid.uuid4().hex[:8]}", flow_set)

        plain = flowed = 0.0
        with fast_flow_runs():
            ensure_concurrency_limits()
            for round_ in ("plain-then-flow", "flow-then-plain"):  # ABBA, so a drifting machine favours neither
                order = [hold_plain, hold_by_flow] if round_.startswith("plain") else [hold_by_flow, hold_plain]
                for step in order:
                    if step is hold_plain:
                        plain += step(store, plain_set)
                    else:
                        flowed += step(store, enrolment, flow_set, args.batch)
                release_all(store, plain_set + flow_set, enrolment)
        total = 2 * args.objects
        print(f"plain minio loop           {total / plain:7.0f} objects/s  ({plain:.1f} s for 2 x {args.objects})")
        print(f"lock-school-evidence flow  {total / flowed:7.0f} objects/s  ({flowed:.1f} s for 2 x {args.objects}; "
              f"batches of {args.batch})")
        print(f"ratio flow time / plain loop time: {flowed / plain:.2f}x")


def hold_plain(store: S3EvidenceStore, objects: list[tuple[str, str, str]]) -> float:
    """Seconds a plain minio-SDK loop takes to hold every version."""
    start = time.perf_counter()
    for key, version, _ in objects:
        store.client.enable_object_legal_hold(store.bucket, key, version_id=version)
    return time.perf_counter() - start


def hold_by_flow(store: S3EvidenceStore, enrolment: int, objects: list[tuple[str, str, str]], batch: int) -> float:
    """Seconds the lock flow takes to hold (and record) every version of the school; a sample is checked after."""
    start = time.perf_counter()
    assert lock_school_evidence(enrolment, batch_size=batch) is True
    seconds = time.perf_counter() - start
    assert all(store.legal_hold(key, version) for key, version, _ in objects[:: max(1, len(objects) // 50)])
    return seconds


def release_all(store: S3EvidenceStore, objects: list[tuple[str, str, str]], enrolment: int) -> None:
    """Undo every hold, in the store and in the records (untimed), so the next round starts alike."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda o: store.client.disable_object_legal_hold(store.bucket, o[0], version_id=o[1]), objects))
    with session_scope() as session:
        session.execute(update(Evidence).where(Evidence.school_enrolment_id == enrolment).values(held=False))
        session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment).values(evidence_held_at=None))


if __name__ == "__main__":
    main()

"""Task completions through the API on PostgreSQL under concurrent clients, against a bare single-row update.

    uv run python bench/api_completions.py [--count 2000] [--clients 16] [--workers 2]

Creates a scratch database, N open plan-review tasks, starts uvicorn, and drives POST /tasks/{id}/complete
(JWT auth, scope, conditional UPDATE, outbox row, commit) with N concurrent clients; then the same count on
POST /bench/touch/{id} (one UPDATE). Prints throughput, p50/p99 and the ratio. Dispatching is not included.
"""
import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def prepare(url: str, count: int) -> list[int]:
    """Migrate, load a one-school demo tree, and insert `count` open plan-review tasks for the county office."""
    os.environ["TISHENG_DATABASE_URL"] = url
    from infra.db import migrate, session_scope
    from models.catalog import load_catalog
    from models.clock import utcnow
    from models.enums import Role, TaskKind
    from models.human_task import HumanTask
    from models.org import Unit
    from models.policy import load_preset
    from sqlalchemy import select
    from tasks.demo_setup import insert_demo_campaign

    migrate(url)
    insert_demo_campaign.fn("bench", load_preset("yanzhou-2022"), load_catalog(), 1, 1)
    with session_scope() as session:
        county = session.scalars(select(Unit).where(Unit.code == "DEMO-C1-X1")).one()
        from infra import repository as repo

        enrolment = repo.school_enrolment(session, "bench", "DEMO-X1-S001")
        tasks = [HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.PLAN_REVIEW, school_enrolment_id=enrolment.id,
                           subject=f"bench:{i}", unit_id=county.id, candidate_role=Role.COUNTY_OFFICE,
                           due_at=utcnow() + timedelta(days=10), origin_key=f"bench:{i}") for i in range(count)]
        session.add_all(tasks)
        session.flush()
        return [t.id for t in tasks]


async def drive(base: str, paths: list[str], clients: int, headers: dict, body: dict | None) -> tuple[float, list[float], dict]:
    """POST every path with `clients` concurrent connections; wall time, latencies (ms) and status counts."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            path = queue.get_nowait()
            start = time.perf_counter()
            answer = await client.post(path, json=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - start, latencies, statuses


def report(name: str, wall: float, latencies: list[float], statuses: dict) -> float:
    ordered = sorted(latencies)
    rate = len(latencies) / wall
    print(f"{name:<32} {rate:7.0f} req/s  p50 {statistics.median(ordered):6.1f} ms  "
          f"p99 {ordered[int(0.99 * (len(ordered) - 1))]:6.1f} ms  statuses {statuses}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    name = f"tisheng_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    server = None
    try:
        task_ids = prepare(url, args.count)
        env = {**os.environ, "TISHENG_DATABASE_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--port", str(args.port),
                                   "--workers", str(args.workers), "--log-level", "warning"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(f"{base}/auth/token", data={"username": "demo-county-office", "password": "tisheng-demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        asyncio.run(drive(base, [f"/bench/touch/{i}" for i in task_ids[:200]], args.clients, {}, None))  # warm-up
        print(f"{args.count} requests, {args.clients} concurrent clients, {args.workers} uvicorn workers, PostgreSQL")
        bare = report("bare single-row update", *asyncio.run(
            drive(base, [f"/bench/touch/{i}" for i in task_ids], args.clients, {}, None)))
        done = report("task completion (202)", *asyncio.run(
            drive(base, [f"/tasks/{i}/complete" for i in task_ids], args.clients, headers,
                  {"kind": "plan_review", "outcome": "file"})))
        print(f"ratio bare / completion throughput: {bare / done:.2f}x")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

"""Task completions through the API on PostgreSQL under concurrent clients, against a bare single-row update.

    uv run python bench/api_completions.py [--count 2000] [--clients 16] [--workers 2]

Creates a scratch database and N open plan-review tasks, starts uvicorn, and sends N requests with C concurrent
clients to: POST /bench/touch/{id} (one UPDATE, the bare baseline), POST /bench/auth/{id} (the same behind the
API's bearer auth), and POST /tasks/{id}/complete (auth, scope and independence, conditional UPDATE, outbox row,
commit; 202). Prints throughput, p50/p99 latency, and CPU per request of the API processes and of PostgreSQL
(a cost a noisy machine hardly moves), with ratios. The load client is `bench/load.py` (raw keep-alive sockets),
so it takes little of the two cores. Dispatching is not included.
"""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.cpu import processes_cpu, tree_cpu  # noqa: E402
from bench.load import drive, render  # noqa: E402
from tisheng_cli.stack import api_command  # noqa: E402

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
                           unit_id=county.id, candidate_role=Role.COUNTY_OFFICE,
                           due_at=utcnow() + timedelta(days=10), origin_key=f"bench:{i}") for i in range(count)]
        session.add_all(tasks)
        session.flush()
        return [t.id for t in tasks]


def database_backends(database: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to the database (the API's pooled connections)."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]


@dataclass
class Figures:
    """One row of the report."""

    rate: float
    p50: float
    p99: float
    api_cpu_ms: float
    pg_cpu_ms: float


def measure(database: str, server_pid: int, port: int, paths: list[str], clients: int, headers: dict, body: bytes) -> tuple[Figures, dict]:
    """POST every path once with `clients` concurrent connections; figures and status counts."""
    host = f"127.0.0.1:{port}"
    requests = [render("POST", p, host, headers, body) for p in paths]
    backends = database_backends(database)
    api, pg = tree_cpu(server_pid), processes_cpu(backends)
    result = asyncio.run(drive("127.0.0.1", port, requests, clients))
    api, pg = tree_cpu(server_pid) - api, processes_cpu(backends) - pg
    ordered, n = sorted(result.latencies), len(result.latencies)
    return Figures(n / result.wall, statistics.median(ordered), ordered[int(0.99 * (n - 1))],
                   1000 * api / n, 1000 * pg / n), result.statuses


def report(name: str, figures: Figures, statuses: dict) -> Figures:
    """Print one row."""
    print(f"{name:<34} {figures.rate:6.0f} req/s  p50 {figures.p50:6.1f} ms  p99 {figures.p99:6.1f} ms  "
          f"CPU/request: API {figures.api_cpu_ms:5.2f} ms, PostgreSQL {figures.pg_cpu_ms:5.2f} ms  {statuses}")
    return figures


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
        server = subprocess.Popen([sys.executable, *api_command("bench.baseline_app:app", "127.0.0.1", args.port, args.workers),
                                   "--log-level", "warning"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(f"{base}/auth/token", data={"username": "demo-county-office", "password": "tisheng-demo"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"}
        body = json.dumps({"kind": "plan_review", "outcome": "file"}).encode()
        touch = [f"/bench/touch/{i}" for i in task_ids]
        for warm_up in ("touch", "auth"):  # fills the connection pools, so every backend is counted
            measure(name, server.pid, args.port, [f"/bench/{warm_up}/{i}" for i in task_ids[:300]], args.clients, auth, b"")
        print(f"{args.count} requests each, {args.clients} concurrent clients, {args.workers} uvicorn workers, "
              f"PostgreSQL; load from bench/load.py")
        bare = report("bare single-row update", *measure(name, server.pid, args.port, touch, args.clients, {}, b""))
        report("same, behind bearer auth", *measure(
            name, server.pid, args.port, [f"/bench/auth/{i}" for i in task_ids], args.clients, auth, b""))
        done = report("task completion (202)", *measure(
            name, server.pid, args.port, [f"/tasks/{i}/complete" for i in task_ids], args.clients, auth, body))
        print(f"completion vs bare: throughput {bare.rate / done.rate:.2f}x lower, "
              f"API CPU per request {done.api_cpu_ms / bare.api_cpu_ms:.2f}x, p99 {done.p99 / bare.p99:.2f}x")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

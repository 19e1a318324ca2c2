"""Time per transition flow run against the same work without Prefect, and the whole demo, in one run.

    uv run python bench/transitions.py [--schools 40] [--demo-schools 5]

Baseline: the transition's own work (read the school, run the guard, commit state + tasks + audit) called
directly. Measured: the same work as a `school-transition` flow run (heartbeat off). Both on embedded
SQLite in a fresh data directory; Prefect is the local ephemeral server unless PREFECT_API_URL is set.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TISHENG_DATA_DIR", tempfile.mkdtemp(prefix="tisheng-bench-"))

from infra.prefect_env import configure_prefect_env  # noqa: E402
from infra.settings import get_settings  # noqa: E402

configure_prefect_env(get_settings())

from prefect import flow  # noqa: E402

from flows.demo import file_plan_documents, run_demo, set_up_demo_campaign  # noqa: E402
from flows.transition import run_transition  # noqa: E402
from infra.db import migrate  # noqa: E402
from infra.prefect_env import fast_flow_runs  # noqa: E402
from models.catalog import load_catalog  # noqa: E402
from models.enums import SchoolEvent  # noqa: E402
from models.lifecycle import decide  # noqa: E402
from models.simulation import DemoScript  # noqa: E402
from models.transition import TransitionRequest  # noqa: E402
from tasks.transitions import commit_school_transition, load_school_snapshot  # noqa: E402


@flow(name="bench-empty-flow", persist_result=False)
def empty_flow(request: TransitionRequest) -> None:
    """Prefect's floor: a flow run that does nothing."""


CATALOG = {e.code: e for e in load_catalog()}


def submit(campaign: str, school: str) -> TransitionRequest:
    """The school's plan submission, its documents uploaded first (outside the timed part)."""
    script = DemoScript(0, [school])
    plan = script.plan(school, file_plan_documents(campaign, school, script), CATALOG)
    return TransitionRequest(campaign=campaign, county="DEMO-C1-X1", school=school, event=SchoolEvent.SUBMIT_PLAN,
                             actor="bench", payload={"plan": plan}, expected_version=1)


def direct(request: TransitionRequest) -> None:
    snapshot = load_school_snapshot.fn(request)
    commit_school_transition.fn(request, snapshot, decide(snapshot.context(request), request.event), None)


def timed(fn, requests) -> list[float]:
    out = []
    for request in requests:
        start = time.perf_counter()
        fn(request)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{name:<28} n={len(ms):<4} mean {statistics.mean(ms):7.1f} ms  p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--demo-schools", type=int, default=5)
    args = parser.parse_args()
    migrate()
    with fast_flow_runs():
        start = time.perf_counter()
        roster = set_up_demo_campaign("bench", "yanzhou-2022", args.schools * 2, 1)  # also starts Prefect's server
        print(f"Prefect API ready and campaign loaded in {time.perf_counter() - start:.1f} s")
        schools = list(roster.schools)
        warm = [submit("bench", s) for s in schools[:3]]
        timed(run_transition, warm)
        baseline = timed(direct, [submit("bench", s) for s in schools[3:args.schools]])
        flows = timed(run_transition, [submit("bench", s) for s in schools[args.schools:]])
        floor = timed(empty_flow, [submit("bench", s) for s in schools[args.schools:]])
        print(summary("direct (no Prefect)", baseline))
        print(summary("empty flow run (floor)", floor))
        print(summary("school-transition flow run", flows))
        print(f"ratio flow run / direct (mean): {statistics.mean(flows) / statistics.mean(baseline):.1f}x; "
              f"flow run / empty flow run: {statistics.mean(flows) / statistics.mean(floor):.1f}x")
        start = time.perf_counter()
        run = run_demo("yanzhou-2022", args.demo_schools, 20, 2022, "bench-demo")
        runs = sum(len(v) for v in run.seconds_by_state.values())
        print(f"whole demo, {args.demo_schools} schools x 20 teachers: {time.perf_counter() - start:.1f} s "
              f"({runs} transition runs + {sum(len(v) for v in run.other_runs.values())} bulk runs)")


if __name__ == "__main__":
    main()

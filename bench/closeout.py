"""The year-end closeout over a synthetic province, against a plain SQL aggregate of the same figures.

    uv run python bench/closeout.py [--schools 25000] [--teachers-per-school 36] [--repeat 3] [--reuse]

Generates the province (bench/province.py, COPY into a fresh PostgreSQL database; `--reuse` keeps the one there)
and clones it (CREATE DATABASE … TEMPLATE, untimed) so that the closeout's writes never touch the generated data.
Then, in the same run, on the clone:
- plain SQL: one hand-written GROUP BY producing the per-school figures, fetched (best of --repeat);
- closeout summary: the closeout's own figures query and roll-up (best of --repeat);
- closeout flow: the whole `year-end-closeout` flow run, once, on a local Prefect (test harness, heartbeat off) and
  the local evidence store: freeze, close out every live school (state, tasks, audit), figures, XLSX and CSV,
  two artifacts per county, carry-over; its phases are timed from the flow's progress steps;
- the same flow again (the re-run: same figures, nothing new to close or carry).
Prints each, the ratios against the plain SQL, and checks that the figures agree school by school.
Target: closeout < 60 s and within 5x of the plain SQL. The exit status holds the whole run to 60 s and the
figures (the part the plain SQL also does) to 5x; the whole run's ratio is printed too: it also writes thousands of
transitions, a 25,000-row workbook and 300 artifacts, which the plain SQL does not.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.province import CAMPAIGN, database_url, generate  # noqa: E402

PLAIN_SQL = """
SELECT u.code,
       count(te.id),
       count(*) FILTER (WHERE te.result IN ('pass', 'excellent') AND te.online_hours >= :online
                        AND te.practice_hours >= :practice AND te.online_hours + te.practice_hours >= :total),
       count(*) FILTER (WHERE te.online_hours >= :online AND te.practice_hours >= :practice
                        AND te.online_hours + te.practice_hours >= :total),
       count(*) FILTER (WHERE te.result IN ('pass', 'excellent')),
       count(*) FILTER (WHERE te.practice_hours >= :practice)
FROM schoolenrolment se
JOIN unit u ON u.id = se.school_id
LEFT JOIN teacherenrolment te ON te.school_enrolment_id = se.id
WHERE se.campaign_id = :campaign
GROUP BY u.code
"""


def best_of(repeat: int, fn):
    """(fastest seconds, last result) over `repeat` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def clone(template: str, name: str) -> str:
    """A fresh copy of the generated database (the closeout writes); returns its URL."""
    import psycopg

    from bench.province import ADMIN

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (template,))
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(name)


class PhaseClock:
    """Seconds between the closeout's progress steps, summed by phase."""

    def __init__(self):
        self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def __call__(self, done: int, total: int, step: str) -> None:
        now = time.perf_counter()
        phase = ("close out live schools" if "closed out" in step else "county artifacts" if step.startswith(
            "artifacts of") else "carry-over" if "carried over" in step else step)
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=25_000)
    parser.add_argument("--teachers-per-school", type=int, default=36)
    parser.add_argument("--database", default="tisheng_bench_province")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Use the database already there (no generation).")
    args = parser.parse_args()

    if not args.reuse:
        counts = generate(args.database, args.schools, args.teachers_per_school)
        print(f"generated {int(counts['unit']):,} units, {int(counts['teacherenrolment']):,} teachers, "
              f"{int(counts['submission']):,} submissions, {int(counts['hourrecord']):,} hour records, "
              f"{int(counts['humantask']):,} open tasks in {counts['seconds']:.1f} s (COPY)")
    os.environ["TISHENG_DATABASE_URL"] = clone(args.database, f"{args.database}_run")
    os.environ["TISHENG_EVIDENCE_DIR"] = tempfile.mkdtemp(prefix="tisheng-bench-evidence-")
    # As `tisheng up` does on SQLite: Prefect's task-run recorder otherwise stalls clients for up to a minute.
    os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness
    from sqlalchemy import text

    from flows.closeout import closeout_flow, closeout_progress
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from models.closeout import hour_thresholds, roll_up
    from models.policy import Policy
    from tasks.closeout import read_school_figures

    with session_scope() as session:
        campaign = repo.campaign_by_code(session, CAMPAIGN)
        thresholds = hour_thresholds(Policy.model_validate(campaign.policy).hours)
        live = session.scalar(text("SELECT count(*) FROM schoolenrolment WHERE campaign_id = :c AND state NOT IN "
                                   "('certified', 'incomplete')"), {"c": campaign.id})

    def summary_only():
        return roll_up(read_school_figures(campaign.id))

    def plain():
        with session_scope() as session:
            return session.execute(text(PLAIN_SQL), {
                "campaign": campaign.id, "online": thresholds.online_min, "practice": thresholds.practice_min,
                "total": thresholds.total_min}).all()

    plain()  # warm the cache for all
    plain_s, rows = best_of(args.repeat, plain)
    summary_s, summary = best_of(args.repeat, summary_only)
    with prefect_test_harness(server_startup_timeout=120), fast_flow_runs():
        clock = PhaseClock()
        with closeout_progress(clock):
            start = time.perf_counter()
            first = closeout_flow(CAMPAIGN)
            flow_s = time.perf_counter() - start
        again = PhaseClock()
        with closeout_progress(again):
            start = time.perf_counter()
            second = closeout_flow(CAMPAIGN)
            rerun_s = time.perf_counter() - start

    ours = {s.code: tuple(s.figures.annex_values()[i] for i in (0, 1, 3, 5, 7))
            for county in summary.counties for s in county.schools}
    theirs = {code: tuple(counts) for code, *counts in rows}
    differ = [code for code in theirs if ours.get(code) != theirs[code]]
    total = tuple(sum(v[i] for v in theirs.values()) for i in range(5))
    top = summary.province.figures
    agree = (not differ and len(ours) == len(theirs) and total == (
        top.teachers, top.passed, top.hours_passed, top.assessment_passed, top.practice_done)
        and (first.teachers, first.passed) == (second.teachers, second.passed) == (top.teachers, top.passed)
        and len(first.closed_out) == live and not second.closed_out and not any(second.carried.values()))
    print(f"schools {len(ours):,} ({live:,} live), counties {len(summary.counties)}, cities {len(summary.cities)}, "
          f"teachers {top.teachers:,}, passed {top.passed:,}")
    print(f"plain SQL aggregate (same per-school figures): {plain_s:.2f} s")
    print(f"closeout figures (query + roll-up):            {summary_s:.2f} s   {summary_s / plain_s:.2f}x plain  "
          f"(target < 5x)")
    print(f"closeout flow, whole run:                      {flow_s:.2f} s   {flow_s / plain_s:.2f}x plain  "
          f"(target < 60 s)")
    for phase, seconds in clock.phases.items():
        print(f"    {phase:<40} {seconds:6.2f} s")
    print(f"    closed out {len(first.closed_out):,} schools; carried over {first.carried['teachers']:,} teachers, "
          f"{first.carried['hour_records']:,} hour records")
    print(f"closeout flow, re-run (nothing left to do):    {rerun_s:.2f} s   {rerun_s / plain_s:.2f}x plain")
    for phase, seconds in again.phases.items():
        print(f"    {phase:<40} {seconds:6.2f} s")
    print("figures agree school by school, and the re-run with the first" if agree
          else f"DISAGREE: {len(differ)} school(s), e.g. {differ[:5]}")
    sys.exit(0 if agree and flow_s < 60 and summary_s <= 5 * plain_s else 1)


if __name__ == "__main__":
    main()

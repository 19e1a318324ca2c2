"""The closeout's summary computation over a synthetic province, against a plain SQL aggregate of the same figures.

    uv run python bench/closeout.py [--schools 25000] [--teachers-per-school 36] [--repeat 3] [--reuse]

Generates the province (bench/province.py, COPY into a fresh PostgreSQL database; `--reuse` keeps the one there),
then times, in the same run and on the same warm database:
- closeout: the closeout's own code — the figures query of tasks/closeout.py and the roll-up to county, city and
  province of models/closeout.py (what the flow does before it writes the reports);
- plain SQL: one hand-written GROUP BY producing the same per-school figures, fetched;
and prints both (best of --repeat), their ratio, and the time to render the XLSX and CSV. It checks that the two
agree school by school and that the roll-up's province total equals the plain sum. Target: closeout < 60 s and
within 5× of the plain SQL.
"""
import argparse
import os
import sys
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
              f"{int(counts['submission']):,} submissions, {int(counts['hourrecord']):,} hour records "
              f"in {counts['seconds']:.1f} s (COPY)")
    os.environ["TISHENG_DATABASE_URL"] = database_url(args.database)
    from sqlalchemy import text

    from infra import repository as repo
    from infra.closeout_report import csv_bytes, xlsx_bytes
    from infra.db import session_scope
    from models.closeout import hour_thresholds, roll_up
    from models.policy import Policy
    from tasks.closeout import read_school_figures

    with session_scope() as session:
        campaign = repo.campaign_by_code(session, CAMPAIGN)
        thresholds = hour_thresholds(Policy.model_validate(campaign.policy).hours)

    def closeout():
        return roll_up(read_school_figures(campaign.id))

    def plain():
        with session_scope() as session:
            return session.execute(text(PLAIN_SQL), {
                "campaign": campaign.id, "online": thresholds.online_min, "practice": thresholds.practice_min,
                "total": thresholds.total_min}).all()

    plain()  # warm the cache for both
    closeout_s, summary = best_of(args.repeat, closeout)
    plain_s, rows = best_of(args.repeat, plain)
    render_start = time.perf_counter()
    xlsx, csv_data = xlsx_bytes(summary, CAMPAIGN, campaign.created_at), csv_bytes(summary)
    render_s = time.perf_counter() - render_start

    ours = {s.code: tuple(s.figures.annex_values()[i] for i in (0, 1, 3, 5, 7))
            for county in summary.counties for s in county.schools}
    theirs = {code: tuple(counts) for code, *counts in rows}
    differ = [code for code in theirs if ours.get(code) != theirs[code]]
    total = tuple(sum(v[i] for v in theirs.values()) for i in range(5))
    top = summary.province.figures
    agree = not differ and len(ours) == len(theirs) and total == (
        top.teachers, top.passed, top.hours_passed, top.assessment_passed, top.practice_done)
    print(f"schools {len(ours):,}, counties {len(summary.counties)}, cities {len(summary.cities)}, "
          f"teachers {top.teachers:,}, passed {top.passed:,}")
    print(f"closeout summary (query + roll-up): {closeout_s:.2f} s")
    print(f"plain SQL aggregate (same per-school figures): {plain_s:.2f} s")
    print(f"ratio closeout / plain SQL: {closeout_s / plain_s:.2f}x  (target < 5x, closeout < 60 s)")
    print(f"rendering XLSX ({len(xlsx) / 1e6:.1f} MB) and CSV ({len(csv_data) / 1e6:.1f} MB): {render_s:.2f} s")
    print("figures agree school by school" if agree else f"DISAGREE: {len(differ)} school(s), e.g. {differ[:5]}")
    sys.exit(0 if agree and closeout_s < 60 and closeout_s <= 5 * plain_s else 1)


if __name__ == "__main__":
    main()

"""A synthetic province on PostgreSQL, loaded in bulk with COPY: the closeout benchmark's data.

    uv run python bench/province.py [--schools 25000] [--teachers-per-school 36] [--database tisheng_bench_province]

Creates (dropping it first) a fresh database, migrates it, and loads one campaign under yanzhou-2022: 15 cities ×
10 counties, the schools spread over them, teachers per school varying ±50 % around the mean (≈ 900,000 at full
size), each with three micro-abilities (three graded submissions), two hour records (online, practice) and their
hours and result. Most schools are certified; the rest stand somewhere in the lifecycle with their open
human tasks (the state's school-level task; a grading task per submission in school review). Same seed, same data.
Prints the row counts and the load time.
"""
import argparse
import io
import json
import os
import random
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
CAMPAIGN = "bench-province-2022"
CITIES, COUNTIES_PER_CITY = 15, 10
STAMP = "2022-11-01 00:00:00+00"
DUE = "2022-12-20 00:00:00+00"
LIVE_STATES = ["training", "school_review", "county_assessment", "rectifying", "locked", "province_audit",
               "plan_submitted"]
CHUNK_ROWS = 200_000


def database_url(name: str) -> str:
    """The SQLAlchemy URL of a database on the admin DSN's server."""
    return ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def fresh_database(name: str) -> str:
    """Drop and create the database, migrate it; returns its URL."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    from infra.db import migrate

    migrate(url)
    return url


def _copy(cur, table: str, columns: str, rows) -> int:
    """COPY rows (tuples of text-format values) into table, in chunks; returns how many."""
    count = 0
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(row))
            buffer.write("\n")
            count += 1
            if count % CHUNK_ROWS == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def _teacher_outcome(rng: random.Random) -> tuple[float, float, str | None]:
    online = 25.0 if rng.random() < 0.95 else float(rng.randint(0, 24))
    practice = 25.0 if rng.random() < 0.93 else float(rng.randint(0, 24))
    draw = rng.random()
    result = "pass" if draw < 0.80 else "excellent" if draw < 0.92 else "fail" if draw < 0.95 else None
    return online, practice, result


def _open_tasks(states, school_county, county_id, first_school, teachers):
    """The open human tasks of the live schools: each state's school-level task, and a grading task per
    submission of the schools in school review (what the close-out must cancel)."""
    from models.enums import TaskKind
    from models.human_task import TASK_ASSIGNMENT
    from models.lifecycle import TASK_OPENED_ON_ENTRY

    def row(school: int, kind, submission: str, origin: str):
        level, role = TASK_ASSIGNMENT[kind]
        city, _ = school_county[school]
        unit = {"school": first_school + school, "county": county_id[school_county[school]], "city": 1 + city,
                "province": 1}[level]
        return ("1", kind.value, str(school + 1), submission, str(unit), role.value, "open", DUE, STAMP, origin, "1")

    for school, state in enumerate(states):
        kind = TASK_OPENED_ON_ENTRY.get(state)
        if kind is not None:
            yield row(school, kind, r"\N", f"bench:{school + 1}:{kind.value}")
    for t, (school, _, picks) in enumerate(teachers):
        if states[school] == "school_review":
            for k in range(len(picks)):
                submission = 3 * t + k + 1
                yield row(school, TaskKind.SUBMISSION_GRADING, str(submission), f"bench:grade:{submission}")


def generate(name: str, schools: int, teachers_per_school: int, seed: int = 2022) -> dict[str, float]:
    """Build the province in a fresh database; returns row counts and seconds (migrate excluded)."""
    from models.catalog import load_catalog
    from models.policy import load_preset

    url = fresh_database(name)
    rng = random.Random(seed)
    policy = load_preset("yanzhou-2022")
    catalog = load_catalog()
    start = time.perf_counter()
    counts: dict[str, float] = {}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no per-row FK triggers: the rows are consistent
        counties = [(c, x) for c in range(1, CITIES + 1) for x in range(1, COUNTIES_PER_CITY + 1)]
        units = [("1", "BP", "基准省", "province", r"\N")]
        units += [(str(1 + c), f"BP-C{c:02d}", f"第{c}市", "city", "1") for c in range(1, CITIES + 1)]
        county_id = {cx: 1 + CITIES + i + 1 for i, cx in enumerate(counties)}
        units += [(str(county_id[(c, x)]), f"BP-C{c:02d}-X{x:02d}", f"第{c}市第{x}县", "county", str(1 + c))
                  for c, x in counties]
        first_school = 2 + CITIES + len(counties)
        school_county = [counties[i % len(counties)] for i in range(schools)]
        units += [(str(first_school + i), f"BP-C{c:02d}-X{x:02d}-S{i:06d}", f"第{c}市第{x}县第{i}学校", "school",
                   str(county_id[(c, x)])) for i, (c, x) in enumerate(school_county)]
        counts["unit"] = _copy(cur, "unit", "id, code, name, level, parent_id", units)
        cur.execute("INSERT INTO campaign (id, code, year, region_unit_id, policy_name, policy, created_at, status) "
                    "VALUES (1, %s, 2022, 1, %s, %s, %s, 'open')",
                    (CAMPAIGN, policy.name, json.dumps(policy.model_dump(mode="json"), ensure_ascii=False), STAMP))
        counts["microability"] = _copy(cur, "microability", "id, campaign_id, code, name, environment, dimension, "
                                       "evidence_items, confirmed",
                                       [(str(i), "1", e.code, e.name, e.environment, e.dimension,
                                         json.dumps(list(e.evidence_items)), "t" if e.confirmed else "f")
                                        for i, e in enumerate(catalog, 1)])
        states = ["certified" if rng.random() < 0.85 else rng.choice(LIVE_STATES) for _ in range(schools)]
        counts["schoolenrolment"] = _copy(
            cur, "schoolenrolment", "id, campaign_id, school_id, state, version, updated_at",
            [(str(i + 1), "1", str(first_school + i), states[i], "1", STAMP) for i in range(schools)])
        sizes = [max(1, round(teachers_per_school * (0.5 + rng.random()))) for _ in range(schools)]
        teachers = [(s, _teacher_outcome(rng), rng.sample(range(len(catalog)), 3))
                    for s in range(schools) for _ in range(sizes[s])]
        counts["person"] = _copy(cur, "person", "id, username, name, role, unit_id, active, service_account",
                                 ((str(t + 1), f"bp-t{t + 1:07d}", f"教师{t + 1}", "teacher",
                                   str(first_school + s), "t", "f") for t, (s, _, _) in enumerate(teachers)))
        counts["teacherenrolment"] = _copy(
            cur, "teacherenrolment", "id, campaign_id, school_enrolment_id, teacher_id, choices, online_hours, "
            "practice_hours, result, credited_hours",
            ((str(t + 1), "1", str(s + 1), str(t + 1), json.dumps([catalog[c].code for c in picks]), str(on),
              str(pr), result or r"\N", "50" if states[s] == "certified" and result in ("pass", "excellent") else "0")
             for t, (s, (on, pr, result), picks) in enumerate(teachers)))
        counts["submission"] = _copy(
            cur, "submission", "teacher_enrolment_id, micro_ability_id, attempt, status, grade, submitted_at",
            ((str(t + 1), str(c + 1), "1", "graded" if result else "submitted",
              ("fail" if result == "fail" and k == 0 else "excellent" if result == "excellent" else "pass")
              if result else r"\N", STAMP)
             for t, (_, (_, _, result), picks) in enumerate(teachers) for k, c in enumerate(picks)))
        counts["hourrecord"] = _copy(
            cur, "hourrecord", "teacher_enrolment_id, course, kind, minutes_watched, course_minutes, imported_at",
            ((str(t + 1), course, kind, str(hours * 60), "1500", STAMP)
             for t, (_, (on, pr, _), _) in enumerate(teachers)
             for course, kind, hours in (("网络研修", "online", on), ("校本实践", "practice", pr))))
        counts["humantask"] = _copy(cur, "humantask", "campaign_id, kind, school_enrolment_id, submission_id, unit_id, "
                                    "candidate_role, status, due_at, created_at, origin_key, version",
                                    _open_tasks(states, school_county, county_id, first_school, teachers))
        for table in ("unit", "campaign", "microability", "schoolenrolment", "person", "teacherenrolment",
                      "submission", "hourrecord", "humantask"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        cur.execute("ANALYZE")
    counts["seconds"] = time.perf_counter() - start
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=25_000)
    parser.add_argument("--teachers-per-school", type=int, default=36)
    parser.add_argument("--database", default="tisheng_bench_province")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    counts = generate(args.database, args.schools, args.teachers_per_school, args.seed)
    rows = ", ".join(f"{k} {int(v):,}" for k, v in counts.items() if k != "seconds")
    print(f"loaded {args.database}: {rows}")
    print(f"load time (COPY + ANALYZE, migrations excluded): {counts['seconds']:.1f} s")


if __name__ == "__main__":
    main()

"""Open a year at scale: a county's (or a province's) units, roster, campaign and enrolment, each step timed, on
SQLite or PostgreSQL, through the same services the CLI calls.

    uv run python bench/open_year.py                       # a county: 300 schools, 10,000 teachers, SQLite
    uv run python bench/open_year.py --postgres            # the same on PostgreSQL (database tisheng_bench_open_year)
    uv run python bench/open_year.py --province --postgres # 14 cities, 120 counties, 25,000 schools, 900,000 teachers

Targets (issue #13): a county's roster and enrolment in < 60 s; a province's units, roster and enrolment in
< 15 min on PostgreSQL. The set-up is the files an office would have; what is timed is parsing and storing them.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
DB = "tisheng_bench_open_year"
ADMIN_DSN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def region_files(cities: int, counties: int, schools: int, teachers: int) -> tuple[str, str]:
    """The units CSV and the roster CSV (nobody with a password: every person gets an activation code), spread
    evenly: counties over cities, schools over counties, teachers over schools."""
    units = ["code,name,level,parent_code,school_type,township", "P,某省,province,,,"]
    roster = ["username,name,role,unit_code,password,email"]
    county_codes = []
    for c in range(cities):
        units.append(f"C{c:02d},第{c}市,city,P,,")
        roster.append(f"c{c:02d}-office,第{c}市工程办,city_office,C{c:02d},,")
    for x in range(counties):
        code = f"C{x % cities:02d}-X{x:03d}"
        county_codes.append(code)
        units.append(f"{code},第{x}县,county,C{x % cities:02d},,")
        roster.append(f"x{x:03d}-office,第{x}县工程办,county_office,{code},,")
    for s in range(schools):
        code = f"S{s:05d}"
        county = county_codes[s % counties]
        units.append(f"{code},第{s}学校,school,{county},小学,第{s % 20}镇")
        roster.append(f"s{s:05d}-admin,第{s}学校管理员,school_admin,{code},,")
    for t in range(teachers):
        roster.append(f"t{t:07d},教师{t},teacher,S{t % schools:05d},,")
    return "\n".join(units) + "\n", "\n".join(roster) + "\n"


def database_url(postgres: bool) -> str:
    """A fresh database: a SQLite file, or the bench's own PostgreSQL database (dropped and created anew)."""
    if not postgres:
        return f"sqlite:///{tempfile.mkdtemp(prefix='tisheng-open-year-')}/tisheng.db"
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{DB}"


def timed(label: str, step, *args, **kwargs):
    """Run a step in its own committed unit of work, print its time, return its result and seconds."""
    from infra.unit_of_work import committed

    started = time.perf_counter()
    result = committed(step, *args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  {label:<44} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    """Generate the region's files, then time each step an office runs to open its year."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", action="store_true", help="14 cities, 120 counties, 25,000 schools")
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL (database {DB}) instead of SQLite")
    parser.add_argument("--schools", type=int, help="override the number of schools")
    parser.add_argument("--teachers", type=int, help="override the number of teachers")
    args = parser.parse_args()
    cities, counties = (14, 120) if args.province else (1, 1)
    schools = args.schools or (25_000 if args.province else 300)
    teachers = args.teachers or (900_000 if args.province else 10_000)
    url = database_url(args.postgres)
    os.environ["TISHENG_DATABASE_URL"] = url
    os.environ.setdefault("TISHENG_DATA_DIR", tempfile.mkdtemp(prefix="tisheng-bench-"))

    from application.campaign_setup import create_campaign
    from application.enrolment import enrol_schools, sync_roster
    from application.imports import import_users
    from application.units import import_units
    from infra.db import migrate
    from models.catalog import load_catalog
    from models.policy import load_preset, policy_version
    from models.roster import parse_roster
    from models.units import parse_units

    migrate(url)
    units_csv, roster_csv = region_files(cities, counties, schools, teachers)
    region = "P" if args.province else "C00-X000"
    school_codes = [f"S{s:05d}" for s in range(schools)]
    print(f"open a year on {'PostgreSQL' if args.postgres else 'SQLite'}: {cities} cities, {counties} counties, "
          f"{schools:,} schools, {teachers:,} teachers (region {region})")
    total = 0.0
    started = time.perf_counter()
    unit_lines = parse_units(units_csv)
    roster_lines = parse_roster(roster_csv)
    parsed = time.perf_counter() - started
    print(f"  {'parse units and roster files':<44} {parsed:8.2f} s")
    total += parsed
    total += timed(f"units import ({len(unit_lines):,} units)", import_units, unit_lines)[1]
    imported, seconds = timed(f"roster import ({len(roster_lines):,} people)", import_users, roster_lines)
    total += seconds
    policy = load_preset("yanzhou-2022")
    total += timed("campaign create", create_campaign, None, "bench-2027", region, 2027, policy,
                   policy_version(policy, "preset yanzhou-2022"), "bench", load_catalog())[1]
    done, seconds = timed(f"enrol {schools:,} schools", enrol_schools, None, "bench-2027", school_codes,
                          actor="bench")
    total += seconds
    print(f"  {'all of it':<44} {total:8.2f} s   ({done.teachers_enrolled:,} teachers enrolled, "
          f"{done.plan_tasks_opened:,} plan_submission tasks, {len(imported.codes):,} activation codes)")
    timed("unchanged units re-import", import_units, unit_lines)
    timed("unchanged roster re-import", import_users, roster_lines)
    timed("roster sync, nothing to change", sync_roster, None, "bench-2027", actor="bench")
    target = 900 if args.province else 60
    print(f"target < {target} s: {'met' if total < target else 'MISSED'}")


if __name__ == "__main__":
    main()

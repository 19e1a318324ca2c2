"""Roster import at county and province scale: parse, first import, unchanged re-import, in lines per second.

    uv run python bench/roster_import.py [--province] [--teachers N] [--postgres]

A county: 300 schools, 10,000 teachers (no password: each gets an activation code), ~900 school staff of whom ~30
have a password (argon2). --province: 25,000 schools and 900,000 teachers (--teachers scales either). The units are
inserted directly in bulk as set-up (untimed). SQLite in a temporary file, or with --postgres a database
tisheng_bench_roster created for the run and dropped after it.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_NAME = "tisheng_bench_roster"
PASSWORDS = 30
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def roster_text(schools: list[str], teachers: int, rng: random.Random, passwords: int = PASSWORDS) -> str:
    """A roster CSV: three staff per school (the first `passwords` with a password), teachers spread over schools."""
    out = ["username,name,role,unit_code,password,email"]
    staff = 0
    for code in schools:
        for role in ("school_admin", "group_leader", "group_leader"):
            password = f"change-me-{staff:04d}" if staff < passwords else ""
            out.append(f"{code.lower()}-{role}-{staff},{rng.choice(SURNAMES)}管理{staff},{role},{code},{password},")
            staff += 1
    for n in range(teachers):
        code = schools[n % len(schools)]
        out.append(f"{code.lower()}-t{n:07d},{rng.choice(SURNAMES)}老师{n},teacher,{code},,")
    return "\n".join(out) + "\n"


def insert_units(url: str, schools: int) -> list[str]:
    """Province → cities → counties → schools, inserted in bulk; the school codes."""
    from sqlalchemy import insert, select

    from infra.db import engine_for
    from models.org import Unit

    table = Unit.__table__
    cities, counties_per_city = (1, 1) if schools <= 300 else (15, 10)
    with engine_for(url).begin() as conn:
        conn.execute(insert(table), [{"code": "BP", "name": "省", "level": "province"}])
        ids = dict(conn.execute(select(table.c.code, table.c.id)).all())
        conn.execute(insert(table), [{"code": f"BP-C{c:02d}", "name": f"市{c}", "level": "city",
                                      "parent_id": ids["BP"]} for c in range(cities)])
        ids = dict(conn.execute(select(table.c.code, table.c.id)).all())
        conn.execute(insert(table), [{"code": f"BP-C{c:02d}-X{x:02d}", "name": f"县{c}-{x}", "level": "county",
                                      "parent_id": ids[f"BP-C{c:02d}"]}
                                     for c in range(cities) for x in range(counties_per_city)])
        ids = dict(conn.execute(select(table.c.code, table.c.id)).all())
        counties = sorted(code for code in ids if code.count("-") == 2)
        codes = [f"S{s:05d}" for s in range(schools)]
        rows = [{"code": code, "name": f"学校{code}", "level": "school", "parent_id": ids[counties[s % len(counties)]],
                 "school_type": "小学"} for s, code in enumerate(codes)]
        for start in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[start:start + 5000])
    return codes


def timed(label: str, lines: int, fn):
    """Run fn, print its time and lines per second, return its result."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<22} {seconds:8.2f} s  {lines / seconds:10,.0f} lines/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", action="store_true", help="25,000 schools, 900,000 teachers")
    parser.add_argument("--teachers", type=int, help="teachers (default 10,000; 900,000 with --province)")
    parser.add_argument("--passwords", type=int, default=PASSWORDS, help="staff lines with a password (argon2)")
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL database {PG_NAME} (created, dropped)")
    args = parser.parse_args()
    schools = 25_000 if args.province else 300
    teachers = args.teachers or (900_000 if args.province else 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            import psycopg

            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{PG_NAME}"')
            url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{PG_NAME}"
        else:
            url = f"sqlite:///{tmp}/bench.db"
        os.environ.update(TISHENG_DATABASE_URL=url, TISHENG_DATA_DIR=tmp)
        try:
            run(url, schools, teachers, args.passwords)
        finally:
            if args.postgres:
                from infra.db import engine_for

                engine_for(url).dispose()
                with psycopg.connect(ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def run(url: str, schools: int, teachers: int, passwords: int) -> None:
    """Set up the units, then time parse, first import and re-import."""
    from application.imports import import_users
    from infra.db import migrate
    from infra.settings import get_settings
    from infra.unit_of_work import committed
    from models.roster import parse_roster

    get_settings.cache_clear()
    migrate(url)
    codes = insert_units(url, schools)
    text = roster_text(codes, teachers, random.Random(7), passwords)
    lines = text.count("\n") - 1
    print(f"{url.split(':')[0]}: {schools:,} schools, {lines:,} lines ({teachers:,} teachers, {passwords} passwords)")
    parsed = timed("parse", lines, lambda: parse_roster(text))
    first = timed("first import", lines, lambda: committed(import_users, parsed))
    print(f"{'':<22} {first.created:,} created, {len(first.codes):,} activation codes")
    again = timed("unchanged re-import", lines, lambda: committed(import_users, parsed))
    print(f"{'':<22} {again.created:,} created, {again.updated:,} updated, {len(again.codes):,} codes")


if __name__ == "__main__":
    main()

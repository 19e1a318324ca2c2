"""A county's roster imported from the command line, codes written once, and a teacher's first sign-in by API."""
import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from infra import repository as repo
from infra.db import session_scope
from models.org import Unit
from tests.support.cli import cli_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _tisheng(database, *args):
    env = cli_env(drop=("TISHENG_", "PREFECT_"), TISHENG_DATABASE_URL=database,
                  TISHENG_DATA_DIR=os.environ["TISHENG_DATA_DIR"])
    return subprocess.run([sys.executable, "-m", "tisheng_cli.main", "users", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def _example_units() -> None:
    """The units of examples/units.csv, parents first (`tisheng units import` is built elsewhere)."""
    with session_scope() as session:
        ids = {}
        for row in csv.DictReader(io.StringIO((EXAMPLES / "units.csv").read_text(encoding="utf-8-sig"))):
            unit = session.scalars(select(Unit).where(Unit.code == row["code"])).first() or Unit(
                code=row["code"], name=row["name"], level=row["level"], parent_id=ids.get(row["parent_code"]),
                school_type=row["school_type"] or None, township=row["township"] or None)
            session.add(unit)
            session.flush()
            ids[unit.code] = unit.id


@pytest.fixture
def imported(database, prefect_harness, tmp_path):
    _example_units()
    roster = str(EXAMPLES / "roster.csv")
    refused = _tisheng(database, "import", roster)
    assert refused.returncode == 2 and refused.stdout == "", refused.stderr
    assert refused.stderr.count("\n") == 1 and "give --codes-out FILE" in refused.stderr
    with session_scope() as session:
        assert repo.person_by_username(session, "yz-office") is None  # refused before anything was stored
    codes = tmp_path / "codes.csv"
    done = _tisheng(database, "import", roster, "--codes-out", str(codes))
    assert done.returncode == 0, done.stderr
    return codes, done


def test_the_import_writes_each_teachers_code_once_to_a_private_file(imported, database):
    codes, done = imported
    assert stat.S_IMODE(codes.stat().st_mode) == 0o600
    raw = codes.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    roster = list(csv.DictReader(io.StringIO((EXAMPLES / "roster.csv").read_text(encoding="utf-8-sig"))))
    without = [(r["username"], r["name"], r["unit_code"]) for r in roster if not r["password"]]
    assert [(r["username"], r["name"], r["unit_code"]) for r in table] == without
    assert all(len(r["code"]) == 14 and r["expires_at"] for r in table)
    assert f"{len(roster)} users, {len(roster)} created, {len(without)} activation codes" in done.stdout
    again = _tisheng(database, "import", str(EXAMPLES / "roster.csv"), "--codes-out", str(codes))
    assert again.returncode == 2 and "already exists" in again.stderr and codes.read_bytes() == raw
    fresh = codes.with_name("again.csv")
    rerun = _tisheng(database, "import", str(EXAMPLES / "roster.csv"), "--codes-out", str(fresh))
    assert rerun.returncode == 0 and "activation codes" not in rerun.stdout  # codes in hand are not replaced
    assert not fresh.exists()  # nothing issued: no file left behind

    http = TestClient(app)
    first = table[0]
    wrong = http.post("/auth/activate", json={"username": first["username"], "code": "2222-2222-2222",
                                              "password": "my-own-pass-1"})
    nobody = http.post("/auth/activate", json={"username": "no-such-teacher", "code": first["code"],
                                               "password": "my-own-pass-1"})
    assert wrong.status_code == nobody.status_code == 400 and wrong.json() == nobody.json()
    assert wrong.headers["content-type"] == "application/problem+json"
    short = http.post("/auth/activate", json={**first, "password": "short"})
    assert short.status_code == 422 and "body.password" in short.text
    body = {"username": first["username"], "code": first["code"], "password": "my-own-pass-1"}
    assert http.post("/auth/activate", json=body).json() == {"username": first["username"]}
    assert http.post("/auth/activate", json={**body, "password": "another-pass"}).status_code == 400  # spent
    login = http.post("/auth/token", data={"username": first["username"], "password": "my-own-pass-1"})
    assert login.status_code == 200 and login.json()["access_token"]
    staff = http.post("/auth/token", data={"username": "yz-office", "password": "change-me-2027"})
    assert staff.status_code == 200

"""A county office opens its year from the example files on an empty database, through the CLI and the HTTP API
only: units, roster, campaign, enrolment, the school admins' plan-submission tasks, one plan filed with its three
documents, and the county office's plan review showing them (SQLite and PostgreSQL)."""
import csv
import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import app
from flows.dispatch import dispatch_once
from infra.db import engine_for
from infra.settings import get_settings
from models.plan import PLAN_FILES
from tests.integration.conftest import PG_ADMIN_DSN
from tests.support.cli import cli_env

EXAMPLES = Path(__file__).parents[2] / "examples"
CAMPAIGN = "yz-2027"
STAFF_PASSWORD = "change-me-2027"
ADMIN = "yz-s01-admin"
SCHOOL_SET = ["A1", "A3", "A5", "A6", "B2", "B3", "B6", "C4"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def empty_database(request, tmp_path_factory):
    """A database of its own, empty until `tisheng migrate` (the shared test databases hold other tests' units)."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('open-year') / 'tisheng.db'}"
    else:
        name = f"tisheng_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    previous = os.environ.get("TISHENG_DATABASE_URL")
    os.environ["TISHENG_DATABASE_URL"] = url
    get_settings.cache_clear()
    yield url
    if previous is None:
        os.environ.pop("TISHENG_DATABASE_URL", None)
    else:
        os.environ["TISHENG_DATABASE_URL"] = previous
    get_settings.cache_clear()
    engine_for(url).dispose()
    if name:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tisheng(*args: str) -> subprocess.CompletedProcess:
    """The CLI as an office runs it, on the test's database and data directory."""
    done = subprocess.run([sys.executable, "-m", "tisheng_cli.main", *args], capture_output=True, text=True,
                          timeout=300, env=cli_env())
    return done


def login(http: TestClient, username: str, password: str = STAFF_PASSWORD) -> dict[str, str]:
    answer = http.post("/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def opened_year(empty_database, prefect_harness, tmp_path_factory):
    """The CLI part: migrate, units, roster (with activation codes), campaign, enrolment."""
    codes = tmp_path_factory.mktemp("codes") / "codes.csv"
    for step in (["migrate"], ["units", "import", str(EXAMPLES / "units.csv")],
                 ["users", "import", str(EXAMPLES / "roster.csv"), "--codes-out", str(codes)],
                 ["campaign", "create", CAMPAIGN, "--region", "SD-JN-YZ", "--year", "2027", "--policy",
                  "yanzhou-2022", "--title", "兖州区2027年度整校推进"],
                 ["campaign", "enrol", CAMPAIGN, "--schools", str(EXAMPLES / "schools.csv")]):
        done = tisheng(*step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    with codes.open(encoding="utf-8-sig") as f:
        activation = {row["username"]: row["code"] for row in csv.DictReader(f)}
    return TestClient(app), activation


def test_a_county_opens_its_year_from_the_example_files(opened_year):
    http, activation = opened_year
    office = login(http, "yz-office")
    schools = http.get("/units", params={"parent": "SD-JN-YZ"}, headers=office).json()
    assert schools["total"] == 6 and schools["items"][0] == {
        "code": "YZ-S01", "name": "兖州区实验小学", "level": "school", "parent": "SD-JN-YZ", "school_type": "小学",
        "township": "鼓楼街道"}
    shown = http.get(f"/campaigns/{CAMPAIGN}", headers=office).json()
    assert (shown["region"]["code"], shown["year"], shown["policy"]["name"]) == ("SD-JN-YZ", 2027, "yanzhou-2022")
    assert shown["policy"]["version"].startswith("preset yanzhou-2022 sha256:")
    assert [c["code"] for c in http.get("/campaigns", headers=office).json()] == [CAMPAIGN]
    again = http.post(f"/campaigns/{CAMPAIGN}/schools", json={"schools": ["YZ-S01"]}, headers=office).json()
    assert (again["enrolled"], again["already"], again["teachers_enrolled"]) == ([], ["YZ-S01"], 0)
    progress = http.get(f"/campaigns/{CAMPAIGN}/progress", headers=office).json()
    assert (progress["schools"], progress["teachers"], progress["by_state"]) == (6, 24, {"plan_drafting": 6})

    # A teacher's first sign-in with the code the office handed out.
    teacher = "yz-s01-t01"
    answer = http.post("/auth/activate", json={"username": teacher, "code": activation[teacher],
                                               "password": "my-own-secret"})
    assert answer.status_code == 200, answer.text
    login(http, teacher, "my-own-secret")

    # Each school admin has the plan_submission task; one files the school's plan from it.
    admin = login(http, ADMIN)
    (task,) = http.get("/tasks", params={"campaign": CAMPAIGN}, headers=admin).json()["items"]
    assert (task["kind"], task["school"]["code"]) == ("plan_submission", "YZ-S01")
    assert task["due_at"] <= "2027-12-31T16:00:00Z"
    incomplete = http.post(f"/tasks/{task['id']}/complete", headers=admin, json={
        "kind": "plan_submission", "plan": {"research_theme": "技术支持的学情分析", "environment": "全息"}})
    assert incomplete.status_code == 422  # every missing or invalid part named at once
    assert {e["field"].rsplit(".", 1)[-1] for e in incomplete.json()["errors"]} == {
        "development_plan", "research_plan", "assessment_plan", "application_mode", "environment"}
    files = {field: upload_plan_file(http, admin, f"YZ-S01 {title}.pdf") for field, title in PLAN_FILES.items()}
    plan = {**files, "research_theme": "技术支持的学情分析", "application_mode": "轻、新技术融合",
            "environment": "混合", "micro_abilities": SCHOOL_SET}
    filed = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_submission", "plan": plan}, headers=admin)
    assert filed.status_code == 202, filed.text
    dispatch_once()
    (review,) = http.get("/tasks", params={"campaign": CAMPAIGN, "kind": "plan_review"}, headers=office).json()["items"]
    assert review["school"]["code"] == "YZ-S01"

    # The county office reads the plan from its review task and downloads each document.
    shown = http.get(f"/tasks/{review['id']}", headers=office).json()
    (filing,) = shown["plans"]
    assert (filing["filed_by"], filing["plan"]["environment"]) == (ADMIN, "混合")
    assert {d["field"]: d["evidence_id"] for d in filing["documents"]} == files
    for document in filing["documents"]:
        link = http.get(document["download"], headers=office)
        assert link.status_code == 200, link.text
        body = http.get(link.json()["url"])
        assert body.status_code == 200 and body.content == plan_pdf(document["original_name"])
    history = http.get(f"/campaigns/{CAMPAIGN}/schools/YZ-S01/history", headers=office).json()
    assert [e["event"] for e in history["entries"]] == ["enrol_school", "submit_plan"]


def plan_pdf(name: str) -> bytes:
    """A small PDF standing for a plan document."""
    return b"%PDF-1.7\n" + name.encode() + b"\n%%EOF\n"


def upload_plan_file(http, admin: dict, name: str) -> int:
    """The school admin uploads one plan document through the evidence API: its evidence id."""
    body = plan_pdf(name)
    form = {"campaign": CAMPAIGN, "school": "YZ-S01", "item": "plan", "file_name": name,
            "sha256": hashlib.sha256(body).hexdigest()}
    answer = http.post("/evidence", data=form, files={"file": (name, body)}, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_scope_of_opening_and_enrolling(opened_year):
    http, _ = opened_year
    office, admin = login(http, "yz-office"), login(http, ADMIN)
    other = http.post("/campaigns", json={"code": "qf-2027", "region": "SD-JN-QF", "year": 2027,
                                          "preset": "yanzhou-2022"}, headers=office)
    assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
    outside = http.post(f"/campaigns/{CAMPAIGN}/schools", json={"schools": ["QF-S01", "YZ-S01"]}, headers=office)
    assert outside.status_code == 422 and "'QF-S01' lies outside the campaign's region" in outside.json()["detail"]
    assert http.post(f"/campaigns/{CAMPAIGN}/schools", json={"schools": ["YZ-S02"]}, headers=admin).status_code == 403
    assert http.post("/campaigns", json={"code": "s-2027", "region": "SD-JN-YZ", "year": 2027,
                                         "preset": "yanzhou-2022"}, headers=admin).status_code == 403
    assert http.get("/units", params={"parent": "SD-JN-QF"}, headers=office).status_code == 403
    city = login(http, "jn-office")
    opened = http.post("/campaigns", json={"code": "qf-2027", "region": "SD-JN-QF", "year": 2027,
                                           "preset": "yanzhou-2022"}, headers=city)
    assert opened.status_code == 201, opened.text

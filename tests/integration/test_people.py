"""Deactivating people: who may, the 401 at the very next request, released claims, audit entries, the CLI."""
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import set_up_demo_campaign
from infra import repository as repo
from infra.db import session_scope
from infra.service_tokens import create_token
from models.audit import AuditEntry, verify_chain
from models.clock import utcnow
from models.enums import TaskKind
from models.human_task import HumanTask
from tasks.demo_setup import DEMO_PASSWORD
from tests.support.cli import cli_env

LEADER = "DEMO-X1-S001-leader"


@pytest.fixture
def world(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=1)
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign_code, "DEMO-X1-S001")
        task = HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.SUBMISSION_GRADING,
                         school_enrolment_id=enrolment.id, unit_id=enrolment.school_id,
                         candidate_role="group_leader", due_at=utcnow() + timedelta(days=7),
                         origin_key=f"{campaign_code}-grading")
        session.add(task)
        session.flush()
        return TestClient(app), campaign_code, task.id


def login(http, username):
    answer = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def entries_since(first_id: int) -> list[AuditEntry]:
    with session_scope() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.id > first_id).order_by(AuditEntry.id)))


def last_audit_id() -> int:
    with session_scope() as session:
        return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def test_a_deactivated_persons_token_stops_at_once_and_their_claims_go_back(world):
    http, _, task_id = world
    leader, office = login(http, LEADER), login(http, "demo-county-office")
    assert http.post(f"/tasks/{task_id}/claim", headers=leader).json()["claimed_by"] == LEADER
    before = last_audit_id()
    done = http.post(f"/people/{LEADER}/deactivate", headers=office)
    assert done.status_code == 200, done.text
    assert done.json() | {"name": ""} == {"username": LEADER, "name": "", "role": "group_leader",
                                          "unit": "DEMO-X1-S001", "active": False, "changed": True,
                                          "released_tasks": [task_id]}
    refused = http.get("/auth/me", headers=leader)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == f"user '{LEADER}' is deactivated"
    again = http.post("/auth/token", data={"username": LEADER, "password": DEMO_PASSWORD})
    assert again.status_code == 401 and "deactivated" in again.json()["detail"]
    task = http.get(f"/tasks/{task_id}", headers=office).json()
    assert task["claimed_by"] is None and task["version"] == 3
    entries = entries_since(before)
    assert [(e.event, e.actor) for e in entries] == [("deactivate_person", "demo-county-office"),
                                                     ("release_task", "demo-county-office")]
    assert entries[0].payload["released_tasks"] == [task_id] and entries[1].payload["task_id"] == task_id
    assert entries[1].campaign_id is not None
    repeated = http.post(f"/people/{LEADER}/deactivate", headers=office).json()
    assert (repeated["changed"], repeated["released_tasks"]) == (False, [])
    assert len(entries_since(before)) == 2
    back = http.post(f"/people/{LEADER}/activate", headers=office).json()
    assert (back["active"], back["changed"]) == (True, True)
    assert http.get("/auth/me", headers=leader).status_code == 200  # the same token works again
    assert entries_since(before)[-1].event == "activate_person"
    with session_scope() as session:
        assert verify_chain(repo.audit_entries(session)).ok


def test_a_deactivated_service_accounts_token_answers_401_naming_why(world):
    http, campaign, _ = world
    with session_scope() as session:
        token = create_token(session, f"{campaign}-sync", "group_leader", "DEMO-X1-S001", None)
    bearer = {"Authorization": f"Bearer {token}"}
    assert http.get("/auth/me", headers=bearer).status_code == 200
    assert http.post(f"/people/{campaign}-sync/deactivate", headers=login(http, "demo-city-office")).status_code == 200
    refused = http.get("/auth/me", headers=bearer)
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]


@pytest.mark.parametrize("caller,target,status,detail", [
    ("demo-county-expert", LEADER, 403, "only a county or city project office"),
    ("DEMO-X1-S001-admin", LEADER, 403, "only a county or city project office"),
    ("demo-county-office", "demo-county-office", 403, "nobody deactivates or activates themselves"),
    ("demo-county-office", "demo-city-office", 403, "outside your unit"),
    ("demo-county-office", "nobody-at-all", 404, "user 'nobody-at-all' does not exist"),
])
def test_deactivation_is_refused_outside_an_offices_unit(world, caller, target, status, detail):
    http, _, _ = world
    answer = http.post(f"/people/{target}/deactivate", headers=login(http, caller))
    assert answer.status_code == status and detail in answer.json()["detail"]
    assert answer.headers["content-type"] == "application/problem+json"
    with session_scope() as session:
        assert target == "nobody-at-all" or repo.person_by_username(session, target) is not None


def _tisheng(database, *args):
    env = cli_env(drop=("TISHENG_", "PREFECT_"), TISHENG_DATABASE_URL=database,
                  TISHENG_DATA_DIR=os.environ["TISHENG_DATA_DIR"])
    return subprocess.run([sys.executable, "-m", "tisheng_cli.main", "users", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_cli_deactivates_and_activates_in_one_line_each(world, database):
    http, _, _ = world
    before = last_audit_id()
    done = _tisheng(database, "deactivate", LEADER, "--actor", "ops-wang")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"user '{LEADER}' (group_leader at DEMO-X1-S001) is now deactivated"
    assert _tisheng(database, "deactivate", LEADER).stdout.strip() == f"user '{LEADER}' was already deactivated"
    assert http.post("/auth/token", data={"username": LEADER, "password": DEMO_PASSWORD}).status_code == 401
    assert _tisheng(database, "activate", LEADER).returncode == 0
    assert [(e.event, e.actor) for e in entries_since(before)] == [("deactivate_person", "ops-wang"),
                                                                   ("activate_person", "cli")]
    unknown = _tisheng(database, "deactivate", "no-such-user")
    assert unknown.returncode == 2 and unknown.stderr == "error: user 'no-such-user' does not exist\n"

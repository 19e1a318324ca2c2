"""Enrolment on SQLite and PostgreSQL, through the HTTP API and the CLI: the region's office enrols schools with
their teachers and plan_submission tasks, refusals name every bad code, the roster keeps teachers in step."""
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from infra.db import session_scope
from models.campaign import TeacherEnrolment
from models.catalog import load_catalog
from models.enums import Role, UnitLevel
from models.org import Person, Unit
from models.plan import PLAN_FILES
from models.policy import load_preset
from tasks.demo_setup import DEMO_PASSWORD, insert_demo_campaign
from tests.support.plans import plan_of
from tests.support.cli import cli_env

http = TestClient(app)


@pytest.fixture
def campaign(database, campaign_code):
    """A demo campaign (region: the demo city) and two more schools of its county, one teacher each, not enrolled."""
    insert_demo_campaign.fn(campaign_code, load_preset("yanzhou-2022"), load_catalog(), schools=1, teachers=2)
    with session_scope() as session:
        county = session.scalars(select(Unit).where(Unit.code == "DEMO-C1-X1")).one()
        for n in (1, 2):
            code = f"{campaign_code}-new{n}"
            school = Unit(code=code, name=f"新学校{n}", level=UnitLevel.SCHOOL, parent_id=county.id)
            session.add(school)
            session.flush()
            session.add(Person(username=f"{code}-t1", name="教师", role=Role.TEACHER, unit_id=school.id))
    return campaign_code


def auth(username):
    token = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def enrolled(username):
    with session_scope() as session:
        return session.scalars(select(TeacherEnrolment.withdrawn_at).join(Person, Person.id == TeacherEnrolment.teacher_id)
                               .where(Person.username == username)).all()


def test_the_city_office_enrols_its_schools_once_and_refusals_name_each_code(campaign):
    office, new = auth("demo-city-office"), f"{campaign}-new1"
    answer = http.post(f"/campaigns/{campaign}/schools", json={"schools": [new, "DEMO-X1-S001"]}, headers=office)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"campaign": campaign, "enrolled": [new], "already": ["DEMO-X1-S001"],
                             "teachers_enrolled": 1, "plan_tasks_opened": 1}
    again = http.post(f"/campaigns/{campaign}/schools", json={"schools": [new]}, headers=office).json()
    assert (again["enrolled"], again["teachers_enrolled"]) == ([], 0)
    bad = http.post(f"/campaigns/{campaign}/schools", json={"schools": ["NOPE", "DEMO-C1-X1"]}, headers=office)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "'NOPE' is not a known unit" in bad.json()["detail"] and "'DEMO-C1-X1' is a county" in bad.json()["detail"]
    tasks = http.get("/tasks", params={"campaign": campaign, "kind": "plan_submission"},
                     headers=auth("DEMO-X1-S001-admin")).json()
    assert [t["kind"] for t in tasks["items"]] == ["plan_submission"]


@pytest.mark.parametrize("username", ["DEMO-X1-S001-admin", "demo-county-office", "demo-county-expert"])
def test_nobody_but_an_office_at_or_above_the_region_enrols(campaign, username):
    answer = http.post(f"/campaigns/{campaign}/schools", json={"schools": [f"{campaign}-new1"]}, headers=auth(username))
    assert answer.status_code == 403
    assert http.post(f"/campaigns/{campaign}/roster-sync", headers=auth(username)).status_code == 403


def test_the_cli_enrols_from_a_file_and_a_deactivated_teacher_is_withdrawn(campaign, prefect_harness, tmp_path):
    listing = tmp_path / "schools.csv"
    listing.write_text(f"school_code\n{campaign}-new1\n{campaign}-new2\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tisheng_cli.main", "campaign", "enrol", campaign, "--schools",
                           str(listing)], capture_output=True, text=True, timeout=120,
                          env=cli_env())
    assert done.returncode == 0, done.stderr
    assert "enrolled 2 school(s) (0 already), 2 teacher(s), 2 plan_submission task(s)" in done.stdout
    teacher = f"{campaign}-new2-t1"
    assert enrolled(teacher) == [None]
    assert http.post(f"/people/{teacher}/deactivate", headers=auth("demo-city-office")).status_code == 200
    assert enrolled(teacher)[0] is not None
    assert http.post(f"/people/{teacher}/activate", headers=auth("demo-city-office")).status_code == 200
    assert enrolled(teacher) == [None]
    bad = tmp_path / "bad.csv"
    bad.write_text("school_code\nX\nX\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "tisheng_cli.main", "campaign", "enrol", campaign, "--schools",
                              str(bad)], capture_output=True, text=True, timeout=120,
                             env=cli_env())
    assert refused.returncode == 2 and "line 3: 'X' is listed already on line 2" in refused.stderr


def test_a_teacher_who_moves_school_is_transferred_by_the_roster_sync(campaign):
    office = auth("demo-city-office")
    http.post(f"/campaigns/{campaign}/schools", json={"schools": [f"{campaign}-new1", f"{campaign}-new2"]},
              headers=office)
    with session_scope() as session:  # a teacher of this test's own schools (the demo's people are shared)
        person = session.scalars(select(Person).where(Person.username == f"{campaign}-new2-t1")).one()
        person.unit_id = session.scalars(select(Unit.id).where(Unit.code == f"{campaign}-new1")).one()
    answer = http.post(f"/campaigns/{campaign}/roster-sync", headers=office)
    assert answer.json() == {"joined": 0, "transferred": 1, "withdrawn": 0, "returned": 0}


def test_the_admin_files_the_first_plan_from_the_plan_submission_task(campaign, prefect_harness):
    from flows.dispatch import dispatch_once

    admin = auth("DEMO-X1-S001-admin")
    (task,) = http.get("/tasks", params={"campaign": campaign, "kind": "plan_submission"}, headers=admin).json()["items"]
    plan = plan_of(campaign, "DEMO-X1-S001")
    answer = http.post(f"/tasks/{task['id']}/complete", json={"kind": "plan_submission", "plan": plan}, headers=admin)
    assert answer.status_code == 202, answer.text
    dispatch_once()
    assert http.get(f"/tasks/{task['id']}", headers=admin).json()["status"] == "completed"
    reviews = http.get("/tasks", params={"campaign": campaign, "kind": "plan_review"},
                       headers=auth("demo-county-office")).json()["items"]
    assert [r["school"]["code"] for r in reviews] == ["DEMO-X1-S001"]


def test_a_returned_plan_keeps_its_documents_beside_the_revision(campaign, prefect_harness):
    from flows.dispatch import dispatch_once
    from tests.support.plans import uploaded_plan

    admin, office = auth("DEMO-X1-S001-admin"), auth("demo-county-office")

    def open_task(kind, headers):
        (task,) = http.get("/tasks", params={"campaign": campaign, "kind": kind}, headers=headers).json()["items"]
        return task

    first = uploaded_plan(campaign, "DEMO-X1-S001", seed=1)
    http.post(f"/tasks/{open_task('plan_submission', admin)['id']}/complete", headers=admin,
              json={"kind": "plan_submission", "plan": first})
    dispatch_once()
    http.post(f"/tasks/{open_task('plan_review', office)['id']}/complete", headers=office,
              json={"kind": "plan_review", "outcome": "return", "reason": "研修主题与发展规划不一致"})
    dispatch_once()
    revision = open_task("plan_revision", admin)
    (returned,) = http.get(f"/tasks/{revision['id']}", headers=admin).json()["plans"]
    assert {d["field"]: d["evidence_id"] for d in returned["documents"]} == {f: first[f] for f in PLAN_FILES}

    second = {**uploaded_plan(campaign, "DEMO-X1-S001", seed=2), "micro_abilities": first["micro_abilities"]}
    refused = http.post(f"/tasks/{revision['id']}/complete", headers=admin,  # another school's file is refused
                        json={"kind": "plan_revision", "plan": {**second, "research_plan": 10**9}})
    assert refused.status_code == 202
    dispatch_once()
    status = http.get(refused.headers["location"], headers=admin).json()
    assert status["status"] == "refused" and f"evidence {10**9} is not a plan file" in status["error"]
    http.post(f"/tasks/{revision['id']}/complete", headers=admin, json={"kind": "plan_revision", "plan": second})
    dispatch_once()
    newest, earlier = http.get(f"/tasks/{open_task('plan_review', office)['id']}", headers=office).json()["plans"]
    assert [d["evidence_id"] for d in newest["documents"]] == [second[f] for f in PLAN_FILES]
    assert [d["evidence_id"] for d in earlier["documents"]] == [first[f] for f in PLAN_FILES]
    assert set(second[f] for f in PLAN_FILES).isdisjoint(first[f] for f in PLAN_FILES)
    assert http.get(earlier["documents"][0]["download"], headers=office).status_code == 200

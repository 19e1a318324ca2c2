"""The school admin's declarations over HTTP (SQLite and PostgreSQL): finishing training refused naming every
teacher short of hours, the progress table saying the same, and the application's reports for the county expert."""
from fastapi.testclient import TestClient

from api.app import app
from models.enums import SchoolState as S
from tests.integration.test_reopened_tasks import SCHOOL, TEACHERS, _drive_to, _login


def test_finishing_training_names_every_teacher_and_the_expert_reads_the_application(database, prefect_harness,
                                                                                     campaign_code):
    driver = _drive_to(campaign_code, S.TRAINING)
    http = TestClient(app)
    admin = _login(http, f"{SCHOOL}-admin")
    (task,) = http.get("/tasks", params={"campaign": campaign_code, "kind": "training_completion"},
                       headers=admin).json()["items"]
    refused = http.post(f"/tasks/{task['id']}/complete", json={"kind": "training_completion"}, headers=admin)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    hours = next(e["message"] for e in refused.json()["errors"] if e["field"] == "every_teacher_meets_hours")
    teachers = [f"{SCHOOL}-t{n:03d}" for n in range(1, TEACHERS + 1)]
    assert hours.startswith(f"{TEACHERS} of {TEACHERS} teacher(s) short of hours: ")
    assert all(name in hours for name in teachers)
    table = http.get(f"/campaigns/{campaign_code}/schools/{SCHOOL}/teachers", headers=admin).json()
    assert [row["username"] for row in table] == teachers
    assert all(any(b["declaration"] == "training_completion" and b["reason"].startswith("hours: ")
                   for b in row["blockers"]) for row in table)

    while driver._state(SCHOOL)[0] is not S.COUNTY_ASSESSMENT:
        driver.step(SCHOOL)
    expert = _login(http, "demo-county-expert")
    (scoring,) = http.get("/tasks", params={"campaign": campaign_code, "kind": "county_assessment_scoring"},
                          headers=expert).json()["items"]
    application = http.get(f"/tasks/{scoring['id']}", headers=expert).json()["application"]
    assert application["applied_by"] == f"{SCHOOL}-admin"
    assert sorted(application["reports"]) == sorted(["应用考核表", "工作总结", "情况汇总表"])
    for evidence_id in application["reports"].values():
        assert http.get(f"/evidence/{evidence_id}", headers=expert).json()["item"] == "report"

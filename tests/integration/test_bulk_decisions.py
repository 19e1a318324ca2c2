"""POST /tasks/complete over HTTP (SQLite and PostgreSQL): each item answered on its own, a refusal undoing nothing
else, the accepted ones applied by the dispatcher like single decisions."""
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.dispatch import dispatch_once
from infra import repository as repo
from infra.db import session_scope
from models.enums import SchoolState
from models.outbox import OutboxEntry
from tests.faults.conftest import submitted_campaign
from tests.integration.test_reopened_tasks import _login

FILE = {"kind": "plan_review", "outcome": "file", "comment": "同意备案"}


def test_a_bulk_completion_answers_each_item_and_applies_the_accepted(database, prefect_harness, campaign_code):
    schools = submitted_campaign(campaign_code, 4)
    http = TestClient(app)
    office = _login(http, "demo-county-office")
    tasks = http.get("/tasks", params={"campaign": campaign_code, "kind": "plan_review"}, headers=office).json()["items"]
    by_school = {t["school"]["code"]: t for t in tasks}
    first, second, third, fourth = (by_school[s] for s in schools)
    answer = http.post("/tasks/complete", headers=office, json={"items": [
        {"task": first["id"], "decision": FILE, "if_match": first["version"]},
        {"task": second["id"], "decision": FILE, "if_match": second["version"] + 1},    # stale: 412
        {"task": third["id"], "decision": {"kind": "plan_review", "outcome": "return"}},  # no reason: 422
        {"task": 999999, "decision": FILE},                                               # not yours: 404
        {"task": first["id"], "decision": FILE},                                          # decided above: 409
        {"task": fourth["id"], "decision": {"kind": "spot_check", "outcome": "pass"}},    # wrong kind: 400
        {"task": second["id"], "decision": FILE}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [202, 412, 422, 404, 409, 400, 202] and body["accepted"] == 2
    assert body["results"][2]["problem"]["errors"][0]["field"].startswith("decision.")
    assert body["results"][0]["decision"]["links"]["self"].startswith("/decisions/")

    with session_scope() as session:
        queued = session.scalars(select(OutboxEntry.task_id).where(OutboxEntry.campaign == campaign_code)).all()
    assert sorted(queued) == sorted([first["id"], second["id"]])
    dispatch_once()
    with session_scope() as session:
        states = {s: repo.school_enrolment(session, campaign_code, s).state for s in schools}
    assert states == {schools[0]: SchoolState.TRAINING, schools[1]: SchoolState.TRAINING,
                      schools[2]: SchoolState.PLAN_SUBMITTED, schools[3]: SchoolState.PLAN_SUBMITTED}
    empty = http.post("/tasks/complete", headers=office, json={"items": []})
    assert empty.status_code == 422 and empty.headers["content-type"] == "application/problem+json"

"""POST /campaigns/{c}/spot-check-draws over HTTP (SQLite and PostgreSQL): the office the policy names draws, the
answer carries seed and population hash, the dispatcher applies each school's move, and nobody draws twice."""
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.dispatch import dispatch_once
from infra import repository as repo
from infra.db import session_scope
from infra.unit_of_work import committed
from models.enums import SchoolState, TaskKind
from models.human_task import HumanTask
from models.sampling import population_hash
from tests.integration.test_reopened_tasks import _login
from tests.services.test_spot_check_draws import lock

SCHOOLS = ["DEMO-X1-S001", "DEMO-X1-S002", "DEMO-X1-S003"]


def test_the_county_office_draws_once_and_the_dispatcher_applies_each_school(database, prefect_harness,
                                                                              campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=3, teachers=1)  # 003: 区教体局…抽查
    for school in SCHOOLS:
        committed(lock, campaign_code, school)
    http = TestClient(app)
    url = f"/campaigns/{campaign_code}/spot-check-draws"
    office = _login(http, "demo-county-office")

    city = http.post(url, json={"seed": 5}, headers=_login(http, "demo-city-office"))
    assert city.status_code == 403 and "county office" in city.json()["detail"]
    for bad in ({"seed": -1}, {"seed": 2**31}, {"seed": "five"}, {"seed": 5, "ratio": 0.5}):
        refused = http.post(url, json=bad, headers=office)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", bad

    key = {**office, "Idempotency-Key": f"draw-{campaign_code}"}
    answer = http.post(url, json={"seed": 5}, headers=key)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["seed"], body["ratio"], body["population"]) == (5, 0.1, 3)
    assert body["population_hash"] == population_hash(SCHOOLS)
    assert [s["school"] for s in body["schools"]] == SCHOOLS and len(body["sample"]) == 1
    assert all(s["decision"]["links"]["self"].startswith("/decisions/") and not s["earlier_draw"]
               for s in body["schools"])
    assert http.post(url, json={"seed": 5}, headers=key).json() == body  # a retried request: the same draw
    again = http.post(url, headers=office)
    assert again.status_code == 409 and "no locked school" in again.json()["detail"]

    while dispatch_once()["applied"]:
        pass
    with session_scope() as session:
        states = {s: repo.school_enrolment(session, campaign_code, s).state for s in SCHOOLS}
        (draw_task, *_) = session.scalars(select(HumanTask.id).where(HumanTask.kind == TaskKind.SPOT_CHECK_DRAW))
    assert states == {s: SchoolState.SPOT_CHECK if s in body["sample"] else SchoolState.PROVINCE_AUDIT
                      for s in SCHOOLS}
    expert = _login(http, "demo-county-expert")
    checks = http.get("/tasks", params={"campaign": campaign_code, "kind": "spot_check"}, headers=expert).json()
    assert [t["school"]["code"] for t in checks["items"]] == body["sample"]
    generic = http.post(f"/tasks/{draw_task}/complete", json={"kind": "spot_check", "outcome": "pass"},
                        headers=office)
    assert generic.status_code == 400 and "spot-check-draws" in generic.json()["detail"]

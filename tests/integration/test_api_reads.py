"""The API over a real database: login, scope on every read, and problem+json for every error."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.transition import run_transition
from infra.db import session_scope
from infra.security import hash_password
from infra.settings import get_settings
from models.enums import Role, SchoolEvent, UnitLevel
from models.org import Person, Unit
from models.transition import TransitionRequest
from tasks.demo_setup import DEMO_PASSWORD
from tests.support.plans import plan_of


@pytest.fixture
def api(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=3, teachers=1)
    run_transition(TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school="DEMO-X1-S002",
                                     event=SchoolEvent.SUBMIT_PLAN, actor="admin",
                                     payload={"plan": plan_of(campaign_code, "DEMO-X1-S002")}))
    with session_scope() as session:
        if not session.scalars(select(Unit).where(Unit.code == "ELSEWHERE")).first():
            other = Unit(code="ELSEWHERE", name="别的县", level=UnitLevel.COUNTY)
            session.add(other)
            session.flush()
            session.add(Person(username="elsewhere-office", name="外县", role=Role.COUNTY_OFFICE, unit_id=other.id,
                               password_hash=hash_password(DEMO_PASSWORD)))
    return TestClient(app), campaign_code


def login(http, username, password=DEMO_PASSWORD):
    return http.post("/auth/token", data={"username": username, "password": password})


def bearer(http, username):
    return {"Authorization": f"Bearer {login(http, username).json()['access_token']}"}


def test_login_issues_a_token_that_names_the_user(api):
    http, _ = api
    answer = login(http, "demo-county-office")
    assert answer.status_code == 200 and answer.json()["token_type"] == "bearer"
    me = http.get("/auth/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}).json()
    assert (me["username"], me["role"]) == ("demo-county-office", "county_office")


@pytest.mark.parametrize("username,password", [("demo-county-office", "wrong-password"), ("nobody", DEMO_PASSWORD)])
def test_bad_credentials_are_a_401_problem(api, username, password):
    http, _ = api
    answer = login(http, username, password)
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer" and answer.json()["title"] == "Not authenticated"


def test_missing_forged_and_expired_tokens_are_refused(api):
    http, campaign = api
    expired = jwt.encode({"sub": "demo-county-office", "exp": datetime.now(UTC) - timedelta(minutes=1)},
                         get_settings().secret_key.get_secret_value(), algorithm="HS256")
    forged = jwt.encode({"sub": "demo-county-office", "exp": datetime.now(UTC) + timedelta(minutes=5)},
                        "another-secret-of-some-length-0123456789", algorithm="HS256")
    for headers in ({}, {"Authorization": f"Bearer {expired}"}, {"Authorization": f"Bearer {forged}"}):
        answer = http.get(f"/campaigns/{campaign}/progress", headers=headers)
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"


def test_progress_counts_only_schools_inside_the_callers_unit(api):
    http, campaign = api
    county = http.get(f"/campaigns/{campaign}/progress", headers=bearer(http, "demo-county-office")).json()
    assert (county["schools"], county["by_state"]) == (3, {"plan_drafting": 2, "plan_submitted": 1})
    assert (county["overdue_tasks"], county["teachers"], county["pass_rate"]) == (0, 3, 0.0)
    school = http.get(f"/campaigns/{campaign}/progress", headers=bearer(http, "DEMO-X1-S002-admin")).json()
    assert school["by_state"] == {"plan_submitted": 1}
    outside = http.get(f"/campaigns/{campaign}/progress", headers=bearer(http, "elsewhere-office"))
    assert outside.status_code == 403 and outside.headers["content-type"] == "application/problem+json"


def test_history_names_the_flow_run_of_each_entry_and_stays_in_scope(api):
    http, campaign = api
    own = http.get(f"/campaigns/{campaign}/schools/DEMO-X1-S002/history", headers=bearer(http, "DEMO-X1-S002-admin"))
    body = own.json()
    assert body["state"] == "plan_submitted" and body["version"] == 2
    assert [e["event"] for e in body["entries"]] == ["enrol_school", "submit_plan"]
    assert len(body["entries"][1]["flow_run_id"]) == 36
    other = http.get(f"/campaigns/{campaign}/schools/DEMO-X1-S001/history", headers=bearer(http, "DEMO-X1-S002-admin"))
    assert other.status_code == 403


def test_unknown_campaign_and_route_are_problem_documents(api):
    http, _ = api
    response = http.get("/campaigns/none-such/progress", headers=bearer(http, "demo-county-office"))
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404,
                               "detail": "campaign 'none-such' does not exist"}
    assert http.get("/nowhere").headers["content-type"] == "application/problem+json"


def test_login_form_errors_name_each_field(api):
    http, _ = api
    answer = http.post("/auth/token", data={})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"body.username", "body.password"}


def test_nul_bytes_and_out_of_range_dates_are_422_not_500(api):
    http, _ = api
    office = bearer(http, "demo-county-office")
    for query in ("campaign=%00", "due_after=0001-01-01T00:00:00%2B00:01", "due_before=0.5"):
        answer = http.get(f"/tasks?{query}", headers=office)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json", query

"""The read API over a real database: progress, history, and problem+json for every error."""
import pytest
from fastapi.testclient import TestClient

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.transition import run_transition
from models.catalog import load_catalog
from models.enums import SchoolEvent
from models.simulation import DemoScript
from models.transition import TransitionRequest


CATALOG = {e.code: e for e in load_catalog()}


@pytest.fixture
def client(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=3, teachers=1)
    run_transition(TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school="DEMO-X1-S002",
                                     event=SchoolEvent.SUBMIT_PLAN, actor="admin",
                                     payload={"plan": DemoScript(1, ["DEMO-X1-S002"]).plan("DEMO-X1-S002", CATALOG)}))
    return TestClient(app), campaign_code


def test_progress_counts_schools_per_state(client):
    http, campaign = client
    body = http.get(f"/campaigns/{campaign}/progress").json()
    assert body == {"campaign": campaign, "schools": 3, "by_state": {"plan_drafting": 2, "plan_submitted": 1}}


def test_history_names_the_flow_run_of_each_entry(client):
    http, campaign = client
    body = http.get(f"/campaigns/{campaign}/schools/DEMO-X1-S002/history").json()
    assert body["state"] == "plan_submitted" and body["version"] == 2
    assert [e["event"] for e in body["entries"]] == ["submit_plan"]
    assert len(body["entries"][0]["flow_run_id"]) == 36


def test_unknown_campaign_is_a_problem_document(client):
    http, _ = client
    response = http.get("/campaigns/none-such/progress")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "Not found", "status": 404,
                               "detail": "campaign 'none-such' does not exist"}


def test_unknown_route_is_a_problem_document(client):
    http, _ = client
    response = http.get("/nowhere")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"

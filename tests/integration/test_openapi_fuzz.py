"""Schemathesis against the app's own OpenAPI schema: no 5xx, every answer matches the schema."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from fastapi.testclient import TestClient

from api.app import app
from flows.demo import set_up_demo_campaign
from tasks.demo_setup import DEMO_PASSWORD

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def office_headers(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=1)
    answer = TestClient(app).post("/auth/token", data={"username": "demo-county-office", "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, office_headers):
    case.call_and_validate(headers=office_headers)

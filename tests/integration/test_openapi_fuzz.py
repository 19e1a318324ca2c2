"""Schemathesis against the app's own OpenAPI schema: no 5xx, every answer matches the schema.

positive_data_acceptance is left out: a schema-valid request may still be refused by state the schema cannot
express (a stale If-Match version → 412, a task already completed → 409), which is the API working.

CI runs 50 derandomized examples per operation, so it is stable. After an API change, run a longer random search
by hand: TISHENG_FUZZ_EXAMPLES=300 TISHENG_FUZZ_RANDOM=1 uv run pytest tests/integration/test_openapi_fuzz.py"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import delete
from fastapi.testclient import TestClient

from api.app import app
from flows.demo import set_up_demo_campaign
from infra.db import session_scope
from models.login_throttle import LoginThrottle
from tasks.demo_setup import DEMO_PASSWORD

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


def forget_login_failures() -> None:
    """The fuzzer's random logins all fail from one address and would lock it for the tests after it."""
    with session_scope() as session:
        session.execute(delete(LoginThrottle))


@pytest.fixture
def office_headers(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=1, teachers=1)
    forget_login_failures()
    answer = TestClient(app).post("/auth/token", data={"username": "demo-county-office", "password": DEMO_PASSWORD})
    yield {"Authorization": f"Bearer {answer.json()['access_token']}"}
    forget_login_failures()


@schema.parametrize()
@settings(max_examples=int(os.environ.get("TISHENG_FUZZ_EXAMPLES", "50")), deadline=None,
          derandomize=not os.environ.get("TISHENG_FUZZ_RANDOM"), suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, office_headers):
    case.call_and_validate(headers=office_headers, excluded_checks=[schemathesis.checks.positive_data_acceptance])

"""The campaign calendar (an office's deadline within its scope re-dates the tasks it governs) and the weekly
progress table artifact per county."""
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from api.app import app
from flows.progress import weekly_progress
from infra.calendar import task_due_at
from infra.db import session_scope
from models.calendar import end_of_day, local_day
from models.campaign import Campaign
from models.enums import TaskKind
from models.human_task import HumanTask
from models.policy import Policy
from models.progress import progress_artifact_key
from tests.integration.reminder_fixtures import PASSWORD, create_reminder_campaign


@pytest.fixture
def calendar_api(database, prefect_harness, campaign_code):
    fx = create_reminder_campaign(campaign_code)
    http = TestClient(app)

    def bearer(name):
        token = http.post("/auth/token", data={"username": fx.user(name), "password": PASSWORD}).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    return fx, http, bearer


def due(task_id):
    with session_scope() as session:
        return session.get(HumanTask, task_id).due_at


def test_a_county_office_sets_a_deadline_for_its_county_and_tasks_follow(calendar_api):
    fx, http, bearer = calendar_api
    county, city = f"{fx.prefix}-county", f"{fx.prefix}-city"
    deadline = local_day(fx.now) + timedelta(days=1)
    url = f"/campaigns/{fx.code}/calendar/{county}/stage/school_review"
    answer = http.put(url, json={"deadline": deadline.isoformat()}, headers=bearer("office"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["tasks_redated"] == 2  # both grading tasks (school review) of the county's school
    assert due(fx.tasks["soon"]) == due(fx.tasks["later"]) == end_of_day(deadline)
    assert due(fx.tasks["at-deadline"]) == fx.now  # a rectification is not in the school-review stage

    view = http.get(f"/campaigns/{fx.code}/calendar", params={"unit": f"{fx.prefix}-s1"}, headers=bearer("s1-admin"))
    assert view.json()["stages"]["school_review"] == {"deadline": deadline.isoformat(), "set_by_unit": county}
    with session_scope() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.code == fx.code)).first()
        opened = task_due_at(session, campaign.id, Policy.model_validate(campaign.policy), TaskKind.SUBMISSION_GRADING,
                             fx.units["s2"], fx.now)
    assert opened == end_of_day(deadline)  # a task opened now in the county is due by the county's deadline

    refused = {
        "school admin": (url, "s1-admin", deadline),
        "county office above its unit": (f"/campaigns/{fx.code}/calendar/{city}/stage/school_review", "office", deadline),
        "unknown stage": (f"/campaigns/{fx.code}/calendar/{county}/stage/holidays", "office", deadline),
        "after the final deadline": (url, "office", deadline.replace(year=deadline.year + 3)),
    }
    statuses = {why: http.put(path, json={"deadline": day.isoformat()}, headers=bearer(who)).status_code
                for why, (path, who, day) in refused.items()}
    assert statuses == {"school admin": 403, "county office above its unit": 403, "unknown stage": 422,
                        "after the final deadline": 422}
    assert http.put(f"/campaigns/{fx.code}/calendar/{county}/season/x", json={"deadline": "2022-01-01"},
                    headers=bearer("office")).status_code == 422
    assert http.put(url, json={"deadline": "not a date"}, headers=bearer("office")).status_code == 422
    city_wide = http.put(f"/campaigns/{fx.code}/calendar/{city}/task/submission_grading",
                         json={"deadline": (deadline + timedelta(days=1)).isoformat()}, headers=bearer("city-office"))
    assert city_wide.status_code == 200
    assert due(fx.tasks["soon"]) == end_of_day(deadline)  # the county's own deadline is nearer than the city's


def test_an_unparsable_body_is_a_400_problem_and_sets_nothing(calendar_api):
    fx, http, bearer = calendar_api
    url = f"/campaigns/{fx.code}/calendar/{fx.prefix}-county/stage/school_review"
    answer = http.put(url, content=b'0\xf3~\xa3', headers={**bearer("office"), "Content-Type": "application/json"})
    assert (answer.status_code, answer.headers["content-type"]) == (400, "application/problem+json")
    assert answer.json()["title"] == "Invalid request body" and "UTF-8 JSON" in answer.json()["detail"]
    view = http.get(f"/campaigns/{fx.code}/calendar", params={"unit": f"{fx.prefix}-s1"}, headers=bearer("s1-admin"))
    assert view.status_code == 200 and view.json()["stages"].get("school_review", {}).get("set_by_unit") is None


def test_weekly_progress_publishes_a_table_per_county_under_a_stable_key(calendar_api):
    fx, _, _ = calendar_api
    keys = weekly_progress(fx.code)
    assert keys == {fx.code: progress_artifact_key(fx.code)}
    weekly_progress(fx.code)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[keys[fx.code]])))
    assert len(artifacts) == 2 and all(a.type == "table" for a in artifacts)  # one key, a version per run
    rows = artifacts[0].data if isinstance(artifacts[0].data, list) else json.loads(artifacts[0].data)
    assert len(rows) == 1
    row = rows[0]
    assert (row["county"], row["schools"], row["plan_drafting"], row["certified"], row["overdue_tasks"]) == (
        f"{fx.prefix}-county", 2, 2, 0, 4)  # the task due at the fixture's instant is overdue by now

"""Service tokens through the API: a named principal with a role and a unit, refused once revoked or expired."""
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from application.tokens import create_service_token, revoke_service_token
from flows.demo import set_up_demo_campaign
from flows.dispatch import dispatch_once
from flows.imports import import_users
from flows.transition import run_transition
from infra.db import session_scope
from infra.service_tokens import list_tokens
from infra.unit_of_work import committed
from models.clock import utcnow
from models.enums import Role, SchoolEvent, UnitLevel
from models.errors import InvalidRecords, InvalidServiceToken
from models.org import Person, Unit
from models.roster import RosterLine
from models.service_token import ServiceToken
from models.transition import TransitionRequest
from tests.support.plans import plan_of

SCHOOL = "DEMO-X1-S001"


@pytest.fixture
def live(database, prefect_harness, campaign_code):
    """A campaign whose first school waits on the county office's plan review."""
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=1)
    plan = plan_of(campaign_code, SCHOOL)
    run_transition(TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school=SCHOOL,
                                     event=SchoolEvent.SUBMIT_PLAN, actor="admin", payload={"plan": plan}))
    return TestClient(app), campaign_code


def token(name: str, role: str = Role.COUNTY_OFFICE, unit: str = "DEMO-C1-X1", days: int | None = None) -> dict:
    secret = committed(create_service_token, name, role, unit, days)
    return {"Authorization": f"Bearer {secret}"}


def outside_county() -> str:
    with session_scope() as session:
        if session.scalars(select(Unit).where(Unit.code == "TSK-ELSEWHERE")).first() is None:
            session.add(Unit(code="TSK-ELSEWHERE", name="别处县", level=UnitLevel.COUNTY))
    return "TSK-ELSEWHERE"


def test_a_service_token_acts_in_its_scope_and_is_the_audit_actor(live):
    http, campaign = live
    bot = token(f"{campaign}-sync")
    me = http.get("/auth/me", headers=bot).json()
    assert (me["username"], me["role"], me["service_account"]) == (f"{campaign}-sync", "county_office", True)
    inbox = http.get("/tasks", params={"campaign": campaign}, headers=bot).json()
    assert sorted(t["kind"] for t in inbox["items"]) == ["plan_review", "plan_submission"]  # the other school's plan
    task_id = next(t["id"] for t in inbox["items"] if t["kind"] == "plan_review")
    assert http.post(f"/tasks/{task_id}/claim", headers=bot).status_code == 200
    accepted = http.post(f"/tasks/{task_id}/complete", json={"kind": "plan_review", "outcome": "file"}, headers=bot)
    assert accepted.status_code == 202
    dispatch_once()
    history = http.get(f"/campaigns/{campaign}/schools/{SCHOOL}/history", headers=bot).json()
    filed = [e for e in history["entries"] if e["event"] == "file_plan"]
    assert history["state"] == "training" and [e["actor"] for e in filed] == [f"{campaign}-sync"]


def test_a_service_token_out_of_scope_is_refused(live):
    http, campaign = live
    office = token(f"{campaign}-office")
    task_id = http.get("/tasks", params={"campaign": campaign}, headers=office).json()["items"][0]["id"]
    elsewhere = token(f"{campaign}-elsewhere", unit=outside_county())
    assert http.get("/tasks", params={"campaign": campaign}, headers=elsewhere).json()["total"] == 0
    for answer, status in ((http.get(f"/tasks/{task_id}", headers=elsewhere), 404),  # not in its listing
                           (http.get(f"/campaigns/{campaign}/progress", headers=elsewhere), 403),
                           (http.post(f"/tasks/{task_id}/claim", headers=elsewhere), 404)):
        assert answer.status_code == status and answer.headers["content-type"] == "application/problem+json"
    expert = token(f"{campaign}-expert", role=Role.COUNTY_EXPERT)
    assert http.post(f"/tasks/{task_id}/claim", headers=expert).status_code == 404  # another role's: not in its inbox


def test_a_revoked_token_is_refused_from_the_next_request_on(live):
    http, campaign = live
    bot = token(f"{campaign}-revoked")
    assert http.get("/tasks", headers=bot).status_code == 200
    assert committed(revoke_service_token, f"{campaign}-revoked") is True
    assert committed(revoke_service_token, f"{campaign}-revoked") is False
    answer = http.get("/tasks", headers=bot)
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer" and "revoked" in answer.json()["detail"]


def test_an_expired_token_is_refused(live):
    http, campaign = live
    bot = token(f"{campaign}-expiring", days=30)
    assert http.get("/auth/me", headers=bot).status_code == 200
    with session_scope() as session:
        row = session.scalars(select(ServiceToken).join(Person, Person.id == ServiceToken.person_id)
                              .where(Person.username == f"{campaign}-expiring")).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    answer = http.get("/auth/me", headers=bot)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]
    assert [t.status for t in _listed(f"{campaign}-expiring")] == ["expired"]


def test_unknown_tokens_are_refused_and_only_a_digest_is_stored(live):
    http, campaign = live
    bot = token(f"{campaign}-digest")
    secret = bot["Authorization"].removeprefix("Bearer ")
    assert http.get("/auth/me", headers={"Authorization": f"Bearer {secret[:-1]}x"}).status_code == 401
    assert http.get("/auth/me", headers={"Authorization": "Bearer tsk_"}).status_code == 401
    with session_scope() as session:
        stored = session.scalars(select(ServiceToken.token_hash)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)


def test_use_is_recorded_and_a_token_cannot_log_in_with_a_password(live):
    http, campaign = live
    bot = token(f"{campaign}-used")
    assert _listed(f"{campaign}-used")[0].last_used_at is None
    http.get("/auth/me", headers=bot)
    assert _listed(f"{campaign}-used")[0].last_used_at is not None
    login = http.post("/auth/token", data={"username": f"{campaign}-used", "password": "anything-at-all"})
    assert login.status_code == 401


def test_a_roster_cannot_take_over_a_service_account(live):
    _, campaign = live
    token(f"{campaign}-roster")
    line = RosterLine(f"{campaign}-roster", "冒名", Role.COUNTY_OFFICE, "DEMO-C1-X1", "longpassword1", 2)
    with pytest.raises(InvalidRecords, match="service token's account"):
        import_users([line], 1)


@pytest.mark.parametrize("name,role,unit,days,message", [
    ("Bad Name", "county_office", "DEMO-C1-X1", None, "token name 'Bad Name' must be 3-48"),
    ("{c}-level", "teacher", "DEMO-C1-X1", None, "role teacher belongs to a school, 'DEMO-C1-X1' is a county"),
    ("{c}-days", "county_office", "DEMO-C1-X1", 0, "--days must be between 1 and 3650"),
    ("demo-county-office", "county_office", "DEMO-C1-X1", None, "the name 'demo-county-office' is taken"),
])
def test_bad_token_requests_create_nothing(live, name, role, unit, days, message):
    _, campaign = live
    with pytest.raises(InvalidServiceToken, match=message):
        token(name.format(c=campaign), role, unit, days)
    assert _listed(name.format(c=campaign)) == []


def _listed(name: str):
    with session_scope() as session:
        return [t for t in list_tokens(session) if t.name == name]

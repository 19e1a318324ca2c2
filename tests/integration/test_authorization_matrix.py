"""Every endpoint × every role × in scope / out of scope / no token, each with its exact status, for users
logged in with a password and for service tokens of the same roles and units."""
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.demo import set_up_demo_campaign
from flows.transition import run_transition
from infra.db import session_scope
from infra.security import hash_password
from infra.service_tokens import create_token
from models.campaign import Campaign, TeacherEnrolment
from models.enums import Role, SchoolEvent, UnitLevel
from models.org import Person, Unit
from models.policy import Policy
from models.transition import TransitionRequest
from tasks.demo_setup import DEMO_PASSWORD
from tests.support.plans import plan_of

# In scope: people of the demo tree. Out of scope: the same roles in another province's tree.
IN_SCOPE = {
    Role.TEACHER: "DEMO-X1-S001-t001", Role.GROUP_LEADER: "DEMO-X1-S001-leader",
    Role.SCHOOL_ADMIN: "DEMO-X1-S001-admin", Role.COUNTY_OFFICE: "demo-county-office",
    Role.COUNTY_EXPERT: "demo-county-expert", Role.CITY_OFFICE: "demo-city-office",
    Role.CITY_EXPERT: "demo-city-expert", Role.PROVINCE_AUDITOR: "demo-province-auditor",
}
OUTSIDE_UNITS = [("OUT", UnitLevel.PROVINCE), ("OUT-C", UnitLevel.CITY), ("OUT-X", UnitLevel.COUNTY),
                 ("OUT-S", UnitLevel.SCHOOL)]
LEVEL_OF = {Role.TEACHER: "OUT-S", Role.GROUP_LEADER: "OUT-S", Role.SCHOOL_ADMIN: "OUT-S",
            Role.COUNTY_OFFICE: "OUT-X", Role.COUNTY_EXPERT: "OUT-X", Role.CITY_OFFICE: "OUT-C",
            Role.CITY_EXPERT: "OUT-C", Role.PROVINCE_AUDITOR: "OUT"}


def _outsiders_and_passwords(campaign_code: str) -> dict[Role, str]:
    staff_hash = hash_password(DEMO_PASSWORD)
    with session_scope() as session:
        teacher = session.scalars(select(Person).where(Person.username == IN_SCOPE[Role.TEACHER])).one()
        teacher.password_hash = staff_hash
        parent = None
        for code, level in OUTSIDE_UNITS:
            unit = session.scalars(select(Unit).where(Unit.code == code)).first()
            if unit is None:
                unit = Unit(code=code, name=code, level=level, parent_id=parent.id if parent else None)
                session.add(unit)
                session.flush()
            parent = unit
        units = {u.code: u.id for u in session.scalars(select(Unit).where(Unit.code.like("OUT%"))).all()}
        outsiders = {}
        for role, unit_code in LEVEL_OF.items():
            username = f"{campaign_code}-out-{role}"
            session.add(Person(username=username, name=username, role=role, unit_id=units[unit_code],
                               password_hash=staff_hash))
            outsiders[role] = username
        return outsiders


@pytest.fixture
def world(database, prefect_harness, campaign_code):
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=1)
    plan = plan_of(campaign_code, "DEMO-X1-S001")
    run_transition(TransitionRequest(campaign=campaign_code, county="DEMO-C1-X1", school="DEMO-X1-S001",
                                     event=SchoolEvent.SUBMIT_PLAN, actor="admin", payload={"plan": plan}))
    outsiders = _outsiders_and_passwords(campaign_code)
    http = TestClient(app)
    office = _login(http, IN_SCOPE[Role.COUNTY_OFFICE])
    task = http.get("/tasks", params={"campaign": campaign_code}, headers=office).json()["items"][0]
    return http, campaign_code, task["id"], outsiders


def _login(http, username):
    token = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


SCHOOL_ROLES = {Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN}
OFFICES = {Role.COUNTY_OFFICE, Role.CITY_OFFICE}
TASK_ENDPOINTS = {"task", "claim", "complete", "bulk-complete", "reassign", "decision-missing"}


def expected_in_scope(endpoint: str, role: Role) -> int:
    """The status an in-scope person of this role gets (the task is the county office's plan review)."""
    if endpoint in ("me", "my-year", "progress", "history", "list", "schools"):  # schools: those in the caller's unit
        return 200
    if endpoint in ("deactivate", "activate"):  # a teacher of the demo county: its county office and the city's
        return 200 if role in OFFICES else 403
    if endpoint == "decision-missing":
        return 404
    if endpoint in ("choose", "submit"):  # a teacher's own steps: the teacher's school still waits on its plan review
        return 422 if role == Role.TEACHER else 404
    if endpoint == "withdraw":  # only one's own submissions, and the teacher has none
        return 404
    if endpoint == "teachers":  # DEMO-X1-S001's progress table: its management and everyone above, not its teachers
        return 403 if role == Role.TEACHER else 200
    if endpoint in ("campaigns", "campaign"):  # the campaigns above or inside the caller's unit
        return 200
    if endpoint == "open-campaign":  # the demo county's year: its offices may, and the code is taken already
        return 409 if role in OFFICES else 403
    if endpoint == "units":  # the demo county's schools: for the county and everyone above it
        return 403 if role in SCHOOL_ROLES else 200
    if endpoint == "spot-check-draw":  # yanzhou-2022 (003): the county office's; no school is locked yet
        return 409 if role == Role.COUNTY_OFFICE else 403
    if endpoint in ("enrol", "roster-sync"):  # the offices at or above the campaign's region (the demo's city)
        return 200 if role == Role.CITY_OFFICE else 403
    if endpoint == "summary":  # 附件2: school management and the offices above
        return 200 if role in (Role.SCHOOL_ADMIN, Role.COUNTY_OFFICE, Role.CITY_OFFICE, Role.PROVINCE_AUDITOR) else 403
    if endpoint == "reports":  # the whole files: offices at or above the demo's region (its city); still open: 404
        return 404 if role in (Role.CITY_OFFICE, Role.PROVINCE_AUDITOR) else 403
    # The task is in the listing of the offices of its county and above only: everyone else gets 404 for it.
    if endpoint == "task":
        return 200 if role in OFFICES else 404
    if endpoint in ("claim", "complete"):
        if role == Role.COUNTY_OFFICE:
            return {"claim": 200, "complete": 202}[endpoint]
        return 403 if role in OFFICES else 404  # the city office sees it, but it is the county office's to take
    if endpoint == "bulk-complete":  # each item as the single completion; the county office's came first: 409
        return 409 if role == Role.COUNTY_OFFICE else 403 if role in OFFICES else 404
    if endpoint == "reassign":  # to a county expert: wrong role for the task; not seen by anyone but an office
        return 403 if role in OFFICES else 404
    raise AssertionError(endpoint)


def call(http, endpoint, campaign, task_id, headers):
    """One request per endpoint; the state-changing ones are asked only where a refusal is expected."""
    url = {"me": "/auth/me", "my-year": "/me", "progress": f"/campaigns/{campaign}/progress",
           "history": f"/campaigns/{campaign}/schools/DEMO-X1-S001/history", "list": "/tasks",
           "task": f"/tasks/{task_id}", "decision-missing": "/decisions/999999",
           "summary": f"/campaigns/{campaign}/summary", "reports": f"/campaigns/{campaign}/closeout/reports",
           "schools": f"/campaigns/{campaign}/schools", "units": "/units?parent=DEMO-C1-X1",
           "campaigns": "/campaigns", "campaign": f"/campaigns/{campaign}",
           "teachers": f"/campaigns/{campaign}/schools/DEMO-X1-S001/teachers"}
    if endpoint in url:
        return http.get(url[endpoint], headers=headers).status_code
    if endpoint == "claim":
        return http.post(f"/tasks/{task_id}/claim", headers=headers).status_code
    if endpoint == "open-campaign":
        return http.post("/campaigns", json={"code": campaign, "region": "DEMO-C1-X1", "year": 2022,
                                             "preset": "yanzhou-2022"}, headers=headers).status_code
    if endpoint == "enrol":  # enrolled already: an allowed call changes nothing
        return http.post(f"/campaigns/{campaign}/schools", json={"schools": ["DEMO-X1-S001"]},
                         headers=headers).status_code
    if endpoint == "spot-check-draw":
        return http.post(f"/campaigns/{campaign}/spot-check-draws", json={"seed": 1}, headers=headers).status_code
    if endpoint == "roster-sync":
        return http.post(f"/campaigns/{campaign}/roster-sync", headers=headers).status_code
    if endpoint in ("deactivate", "activate"):
        return http.post(f"/people/{PERSON}/{endpoint}", headers=headers).status_code
    if endpoint == "choose":
        return http.put(f"/campaigns/{campaign}/me/choices", json={"micro_abilities": ["A1", "B2", "C4"]},
                        headers=headers).status_code
    if endpoint == "submit":
        return http.post(f"/campaigns/{campaign}/me/submissions", json={"micro_ability": "A1"},
                         headers=headers).status_code
    if endpoint == "withdraw":
        return http.post(f"/campaigns/{campaign}/me/submissions/1/withdraw", headers=headers).status_code
    if endpoint == "reassign":
        return http.post(f"/tasks/{task_id}/reassign", json={"to": "demo-county-expert"}, headers=headers).status_code
    if endpoint == "bulk-complete":  # 200 with one result per item: the item's status is what the matrix checks
        answer = http.post("/tasks/complete", headers=headers, json={"items": [
            {"task": task_id, "decision": {"kind": "plan_review", "outcome": "file"}}]})
        return answer.json()["results"][0]["status"] if answer.status_code == 200 else answer.status_code
    return http.post(f"/tasks/{task_id}/complete", json={"kind": "plan_review", "outcome": "file"},
                     headers=headers).status_code


ENDPOINTS = ["me", "my-year", "progress", "history", "teachers", "list", "task", "decision-missing", "summary", "reports", "schools",
             "units", "campaigns", "campaign", "open-campaign", "enrol", "roster-sync", "spot-check-draw", "deactivate", "activate", "choose", "submit",
             "withdraw", "reassign", "claim", "complete", "bulk-complete"]
OWN_STEPS = ("choose", "submit", "withdraw")  # a teacher's own steps: 404 for anyone not enrolled as a teacher
PERSON = "DEMO-X1-S002-t001"  # deactivated and activated again by the offices above it


def mismatches(http, campaign, task_id, in_scope: dict[Role, dict], outsiders: dict[Role, dict],
               people: bool = True) -> list[tuple]:
    """Every (endpoint, caller, wanted, got) where a caller's answer differs from the matrix; with `people` false
    (service tokens) nobody is a teacher enrolled in the campaign, so a teacher's own step answers 404."""
    found = []
    for endpoint in ENDPOINTS:
        got = call(http, endpoint, campaign, task_id, {})
        if got != 401:
            found.append((endpoint, "no token", 401, got))
        for role, headers in outsiders.items():
            want = 200 if endpoint in ("me", "my-year", "list", "campaigns") else \
                404 if endpoint in TASK_ENDPOINTS or endpoint in OWN_STEPS else 403
            got = call(http, endpoint, campaign, task_id, headers)
            if got != want:
                found.append((endpoint, f"out-of-scope {role}", want, got))
        # The county office acts last on the state-changing endpoints, so every refusal is seen first.
        for role in sorted(in_scope, key=lambda r: r == Role.COUNTY_OFFICE):
            if endpoint == "history" and role in SCHOOL_ROLES:
                want = 200  # DEMO-X1-S001's own people
            elif endpoint in OWN_STEPS and not people:
                want = 404
            else:
                want = expected_in_scope(endpoint, role)
            got = call(http, endpoint, campaign, task_id, in_scope[role])
            if got != want:
                found.append((endpoint, f"in-scope {role}", want, got))
    return found


def test_authorization_matrix(world):
    http, campaign, task_id, outsiders = world
    in_scope = {role: _login(http, username) for role, username in IN_SCOPE.items()}
    outside = {role: _login(http, username) for role, username in outsiders.items()}
    assert mismatches(http, campaign, task_id, in_scope, outside) == []


def test_service_tokens_follow_the_same_matrix(world):
    """A service token of each role, bound to the unit of the matching person, is that person for every endpoint."""
    http, campaign, task_id, outsiders = world
    with session_scope() as session:
        unit_of = dict(session.execute(select(Person.username, Unit.code).join(Unit, Unit.id == Person.unit_id)
                                       .where(Person.username.in_([*IN_SCOPE.values(), *outsiders.values()]))).all())
        tokens = {(where, role): create_token(session, f"{campaign}-tsk-{where}-{role}", role, unit_of[username], 1)
                  for where, people in (("in", IN_SCOPE), ("out", outsiders)) for role, username in people.items()}
    bearer = {key: {"Authorization": f"Bearer {token}"} for key, token in tokens.items()}
    in_scope = {role: bearer[("in", role)] for role in IN_SCOPE}
    outside = {role: bearer[("out", role)] for role in outsiders}
    assert mismatches(http, campaign, task_id, in_scope, outside, people=False) == []


def test_other_schools_people_cannot_read_this_schools_history(world):
    http, campaign, _, _ = world
    answer = http.get(f"/campaigns/{campaign}/schools/DEMO-X1-S001/history", headers=_login(http, "DEMO-X1-S002-admin"))
    assert answer.status_code == 403


def test_the_summary_starts_at_the_campaigns_region_even_for_a_reader_above_it(world):
    http, campaign, _, _ = world
    with session_scope() as session:
        region = session.scalars(select(Unit.code).join(Campaign, Campaign.region_unit_id == Unit.id)
                                 .where(Campaign.code == campaign)).one()
    for role in (Role.CITY_OFFICE, Role.PROVINCE_AUDITOR):
        rows = http.get(f"/campaigns/{campaign}/summary", headers=_login(http, IN_SCOPE[role])).json()["rows"]
        assert rows[0]["code"] == region and all(r["level"] != "province" or r["code"] == region for r in rows)
        assert sum(r["level"] == "school" for r in rows) == 2 and rows[0]["teachers"] == 2


def test_me_shows_a_teacher_their_standing_and_an_office_its_inbox(world):
    http, campaign, task_id, _ = world
    answer = http.get("/me", headers=_login(http, IN_SCOPE[Role.TEACHER]))
    assert answer.status_code == 200, answer.text
    mine = next(e for e in answer.json()["enrolments"] if e["campaign"] == campaign)
    with session_scope() as session:
        teacher = session.scalars(select(TeacherEnrolment).join(Campaign, Campaign.id == TeacherEnrolment.campaign_id)
                                  .join(Person, Person.id == TeacherEnrolment.teacher_id)
                                  .where(Campaign.code == campaign, Person.username == IN_SCOPE[Role.TEACHER])).one()
        hours = Policy.model_validate(session.get(Campaign, teacher.campaign_id).policy).hours
    assert mine["school"]["code"] == "DEMO-X1-S001" and mine["school_state"] == "plan_submitted"
    assert (mine["hours"]["online"], mine["hours"]["online_min"], mine["hours"]["total_min"]) == (
        teacher.online_hours, hours.online_min, hours.total_min)
    assert mine["choices"] == teacher.choices and mine["withdrawn"] is False
    office = _login(http, IN_SCOPE[Role.COUNTY_OFFICE])
    inbox = http.get("/tasks", headers=office).json()
    me = http.get("/me", headers=office).json()
    assert (me["role"], me["enrolments"], me["open_tasks"]) == ("county_office", [], inbox["total"])
    assert [t["id"] for t in me["tasks"]] == [t["id"] for t in inbox["items"][:20]]

"""Every task read follows the listing's rule: for every role and a task of every kind, GET /tasks/{id} and
GET /decisions/{id} answer 200 exactly when the task is in that role's listing, 404 otherwise."""
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from api.app import app
from flows.demo import set_up_demo_campaign
from infra import repository as repo
from infra.db import get_engine, session_scope
from infra.security import hash_password
from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.clock import utcnow
from models.enums import Role, TaskKind, UnitLevel
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.org import Person, Unit
from models.outbox import OutboxEntry
from tasks.demo_setup import DEMO_PASSWORD

READERS = {
    Role.TEACHER: "DEMO-X1-S001-t001", Role.GROUP_LEADER: "DEMO-X1-S001-leader",
    Role.SCHOOL_ADMIN: "DEMO-X1-S001-admin", Role.COUNTY_OFFICE: "demo-county-office",
    Role.COUNTY_EXPERT: "demo-county-expert", Role.CITY_OFFICE: "demo-city-office",
    Role.CITY_EXPERT: "demo-city-expert", Role.PROVINCE_AUDITOR: "demo-province-auditor",
}
SCHOOLS = ("DEMO-X1-S001", "DEMO-X1-S002")


def _unit_at(session, school_id: int, level: UnitLevel) -> int:
    unit = session.get(Unit, school_id)
    while unit.level != level:
        unit = session.get(Unit, unit.parent_id)
    return unit.id


@pytest.fixture
def world(database, prefect_harness, campaign_code):
    """A task of every kind at each of two schools, each with a decision (an outbox row) to read; the peer reviews
    are assigned to the reading teacher (a peer review is seen only by its assignee)."""
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=1)
    tasks = {}
    with session_scope() as session:
        session.scalars(select(Person).where(Person.username == READERS[Role.TEACHER])).one().password_hash = \
            hash_password(DEMO_PASSWORD)
        ability = session.scalars(select(MicroAbility).join(
            TeacherEnrolment, TeacherEnrolment.campaign_id == MicroAbility.campaign_id)).first()
        for school in SCHOOLS:
            enrolment = repo.school_enrolment(session, campaign_code, school)
            teacher = session.scalars(select(TeacherEnrolment).where(
                TeacherEnrolment.school_enrolment_id == enrolment.id)).first()
            submission = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id)
            session.add(submission)
            session.flush()
            for kind, (level, role) in TASK_ASSIGNMENT.items():
                graded = submission.id if kind in (TaskKind.SUBMISSION_GRADING, TaskKind.PEER_REVIEW) else None
                opened = session.scalars(select(HumanTask).where(  # enrolment opened the school's plan_submission
                    HumanTask.school_enrolment_id == enrolment.id, HumanTask.kind == kind)).first()
                task = opened or HumanTask(campaign_id=enrolment.campaign_id, kind=kind, school_enrolment_id=enrolment.id,
                                 submission_id=graded, unit_id=_unit_at(session, enrolment.school_id, level),
                                 candidate_role=role, due_at=utcnow() + timedelta(days=7),
                                 claimed_by=READERS[Role.TEACHER] if kind == TaskKind.PEER_REVIEW else None,
                                 origin_key=f"{campaign_code}-{school}-{kind}")
                task.due_at = utcnow() + timedelta(days=7)
                session.add(task)
                session.flush()
                entry = OutboxEntry(task_id=task.id, campaign=campaign_code, county="DEMO-C1-X1", school=school,
                                    actor="someone")
                session.add(entry)
                session.flush()
                tasks[task.id] = (school, kind, entry.id)
    return TestClient(app), campaign_code, tasks


def _login(http, username):
    token = http.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _listing(http, campaign, headers) -> set[int]:
    page = http.get("/tasks", params={"campaign": campaign, "status": "", "page_size": 200}, headers=headers).json()
    assert page["total"] == len(page["items"])
    return {item["id"] for item in page["items"]}


def test_single_reads_answer_exactly_the_listing(world):
    http, campaign, tasks = world
    divergent = []
    for role, username in READERS.items():
        headers = _login(http, username)
        listed = _listing(http, campaign, headers)
        for task_id, (school, kind, decision_id) in tasks.items():
            want = 200 if task_id in listed else 404
            for url in (f"/tasks/{task_id}", f"/decisions/{decision_id}"):
                got = http.get(url, headers=headers)
                if got.status_code != want:
                    divergent.append((role, school, kind, url, want, got.status_code))
                elif want == 404:
                    assert got.headers["content-type"] == "application/problem+json"
    assert divergent == []


def test_each_role_lists_its_kinds_in_its_subtree_and_an_office_every_kind(world):
    http, campaign, tasks = world
    for role, username in READERS.items():
        listed = {(tasks[i][0], tasks[i][1]) for i in _listing(http, campaign, _login(http, username))}
        if role in (Role.COUNTY_OFFICE, Role.CITY_OFFICE):
            level = UnitLevel.COUNTY if role == Role.COUNTY_OFFICE else UnitLevel.CITY
            order = [UnitLevel.SCHOOL, UnitLevel.COUNTY, UnitLevel.CITY, UnitLevel.PROVINCE]
            kinds = {k for k, (at, _) in TASK_ASSIGNMENT.items() if order.index(at) <= order.index(level)}
            assert listed == {(s, k) for s in SCHOOLS for k in kinds}, role
        else:
            kinds = {k for k, (_, r) in TASK_ASSIGNMENT.items() if r == role}
            schools = ("DEMO-X1-S001",) if role in (Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN) else SCHOOLS
            assert listed == {(s, k) for s in schools for k in kinds}, role


def test_a_county_expert_cannot_read_the_county_offices_plan_review(world):
    http, _, tasks = world
    review, (_, _, decision) = next((i, t) for i, t in tasks.items() if t[1] == TaskKind.PLAN_REVIEW)
    expert = _login(http, READERS[Role.COUNTY_EXPERT])
    assert http.get(f"/tasks/{review}", headers=expert).status_code == 404
    assert http.get(f"/decisions/{decision}", headers=expert).status_code == 404
    assert http.post(f"/tasks/{review}/claim", headers=expert).status_code == 404


def test_tasks_name_their_school_unit_teacher_and_micro_ability(world):
    http, campaign, tasks = world
    office = _login(http, READERS[Role.COUNTY_OFFICE])
    items = http.get("/tasks", params={"campaign": campaign, "kind": "submission_grading"}, headers=office).json()
    grading = next(i for i in items["items"] if i["school"]["code"] == "DEMO-X1-S001")
    assert grading["subject"] == f"submission:{grading['submission_id']}"
    with session_scope() as session:
        ability = session.get(MicroAbility, session.get(Submission, grading["submission_id"]).micro_ability_id)
        school_name = session.scalars(select(Unit.name).where(Unit.code == "DEMO-X1-S001")).one()
        teacher_name = session.scalars(select(Person.name).where(Person.username == "DEMO-X1-S001-t001")).one()
    assert grading["school"] == grading["unit"] == {"code": "DEMO-X1-S001", "name": school_name}
    assert grading["teacher"] == {"username": "DEMO-X1-S001-t001", "name": teacher_name}
    assert grading["micro_ability"] == {"code": ability.code, "name": ability.name}
    review_id = next(i for i, t in tasks.items() if t[:2] == ("DEMO-X1-S002", TaskKind.PLAN_REVIEW))
    review = http.get(f"/tasks/{review_id}", headers=office).json()
    assert review["school"]["code"] == "DEMO-X1-S002" and review["unit"]["code"] == "DEMO-C1-X1"
    assert review["teacher"] is None and review["micro_ability"] is None


def test_the_listing_costs_the_same_queries_for_one_task_or_many(world):
    """The names are joined in, not looked up per task (no N+1)."""
    http, campaign, _ = world
    office = _login(http, READERS[Role.CITY_OFFICE])
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        counts = []
        for size in (1, 50):
            statements.clear()
            page = http.get("/tasks", params={"campaign": campaign, "status": "", "page_size": size}, headers=office)
            assert len(page.json()["items"]) == min(size, page.json()["total"]) and page.json()["total"] > 10
            counts.append(len(statements))
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert counts[0] == counts[1] <= 3  # the caller, the count, the page


def test_a_campaigns_schools_list_each_readers_subtree_with_the_tasks_their_inbox_shows(world):
    http, campaign, tasks = world
    for role, username in READERS.items():
        headers = _login(http, username)
        listed = _listing(http, campaign, headers)
        page = http.get(f"/campaigns/{campaign}/schools", headers=headers).json()
        schools = ["DEMO-X1-S001"] if role in (Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN) else list(SCHOOLS)
        assert [s["code"] for s in page["items"]] == schools and page["total"] == len(schools), role
        assert all(s["county"]["code"] == "DEMO-C1-X1" and s["state"] == "plan_drafting" for s in page["items"])
        shown = {(t["id"], t["kind"]) for s in page["items"] for t in s["open_tasks"]}
        assert shown == {(i, tasks[i][1]) for i in listed}, role


def test_the_schools_listing_filters_by_state_and_unit_and_refuses_units_outside(world):
    http, campaign, _ = world
    office = _login(http, READERS[Role.CITY_OFFICE])
    url = f"/campaigns/{campaign}/schools"
    assert http.get(url, params={"unit": "DEMO-C1-X1", "page_size": 1, "page": 2}, headers=office).json()[
        "items"][0]["code"] == "DEMO-X1-S002"
    assert http.get(url, params={"unit": "DEMO-X1-S002"}, headers=office).json()["total"] == 1
    assert http.get(url, params={"state": "certified"}, headers=office).json()["total"] == 0
    assert http.get(url, params={"state": "nonsense"}, headers=office).status_code == 422
    assert http.get(url, params={"unit": "NOWHERE"}, headers=office).status_code == 404
    school = _login(http, READERS[Role.SCHOOL_ADMIN])
    assert http.get(url, params={"unit": "DEMO-C1-X1"}, headers=school).status_code == 403

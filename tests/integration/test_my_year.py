"""A teacher's own year over HTTP: GET /me, and choosing micro-abilities while the school trains (SQLite and
PostgreSQL)."""
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from infra import repository as repo
from infra.db import session_scope
from infra.security import hash_password
from models.campaign import TeacherEnrolment
from models.enums import SchoolState as S
from models.org import Person
from tests.integration.test_reopened_tasks import SCHOOL, _drive_to, _login

TEACHER = f"{SCHOOL}-t001"


def _teacher_may_log_in() -> None:
    with session_scope() as session:
        person = session.scalars(select(Person).where(Person.username == TEACHER)).one()
        person.password_hash = hash_password("tisheng-demo")


def test_a_teacher_chooses_micro_abilities_from_the_schools_set_and_sees_them(database, prefect_harness,
                                                                             campaign_code):
    _drive_to(campaign_code, S.TRAINING)
    _teacher_may_log_in()
    with session_scope() as session:
        school_set = repo.school_enrolment(session, campaign_code, SCHOOL).plan["micro_abilities"]
    http = TestClient(app)
    headers = _login(http, TEACHER)
    url = f"/campaigns/{campaign_code}/me/choices"

    refused = http.put(url, json={"micro_abilities": [school_set[0], school_set[0], "Z9"]}, headers=headers)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in refused.json()["errors"]} == {
        "catalog_membership", "teacher_choice_duplicates", "teacher_choice_count", "school_set_membership"}

    picks = school_set[:3]
    chosen = http.put(url, json={"micro_abilities": picks}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    assert (chosen.json()["campaign"], chosen.json()["choices"]) == (campaign_code, picks)
    with session_scope() as session:
        stored = session.scalars(select(TeacherEnrolment).join(Person, Person.id == TeacherEnrolment.teacher_id)
                                 .where(Person.username == TEACHER,
                                        TeacherEnrolment.campaign_id == repo.school_enrolment(
                                            session, campaign_code, SCHOOL).campaign_id)).one()
        assert stored.choices == picks
    mine = next(e for e in http.get("/me", headers=headers).json()["enrolments"] if e["campaign"] == campaign_code)
    assert mine["choices"] == picks and mine["school_state"] == "training"
    assert http.put("/campaigns/no-such-campaign/me/choices", json={"micro_abilities": picks},
                    headers=headers).status_code == 404

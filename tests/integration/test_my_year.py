"""A teacher's own year over HTTP: GET /me, choosing micro-abilities while the school trains, submitting uploaded
evidence and withdrawing it (SQLite and PostgreSQL)."""
import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from infra import repository as repo
from infra.db import session_scope
from infra.security import hash_password
from models.campaign import MicroAbility, TeacherEnrolment
from models.enums import SchoolState as S
from models.org import Person
from tests.integration.test_evidence_api import docx
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


def _upload(http, headers, campaign: str, code: str, name: str) -> int:
    """A Word file uploaded as the teacher's design for the micro-ability."""
    data = docx()
    form = {"campaign": campaign, "school": SCHOOL, "teacher": TEACHER, "micro_ability": code, "item": "design",
            "file_name": f"{name}.docx", "sha256": hashlib.sha256(data).hexdigest()}
    answer = http.post("/evidence", data=form, files={"file": ("x.docx", data)}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_a_teacher_submits_uploaded_evidence_withdraws_it_and_submits_again(database, prefect_harness,
                                                                             campaign_code):
    _drive_to(campaign_code, S.TRAINING)
    _teacher_may_log_in()
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign_code, SCHOOL)
        picks = enrolment.plan["micro_abilities"][:3]
        items = session.scalars(select(MicroAbility.evidence_items).where(
            MicroAbility.campaign_id == enrolment.campaign_id, MicroAbility.code == picks[0])).one()
    http = TestClient(app)
    headers = _login(http, TEACHER)
    assert http.put(f"/campaigns/{campaign_code}/me/choices", json={"micro_abilities": picks},
                    headers=headers).status_code == 200
    url = f"/campaigns/{campaign_code}/me/submissions"

    missing = http.post(url, json={"micro_ability": picks[0]}, headers=headers)
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in missing.json()["errors"]] == ["evidence_missing"] * len(items)
    uploaded = {item: _upload(http, headers, campaign_code, picks[0], item) for item in items}
    elsewhere = _upload(http, headers, campaign_code, picks[1], items[0])
    foreign = http.post(url, json={"micro_ability": picks[0], "evidence": {**uploaded, items[0]: elsewhere}},
                        headers=headers)
    assert foreign.status_code == 422 and [e["field"] for e in foreign.json()["errors"]] == ["evidence_item"]

    made = http.post(url, json={"micro_ability": picks[0], "evidence": uploaded}, headers=headers)
    assert made.status_code == 201, made.text
    first = made.json()
    assert (first["attempt"], first["status"], first["evidence"]) == (1, "submitted", uploaded)
    pending = http.post(url, json={"micro_ability": picks[0], "evidence": uploaded}, headers=headers)
    assert pending.status_code == 422 and [e["field"] for e in pending.json()["errors"]] == ["submission_pending"]

    withdrawn = http.post(f"{url}/{first['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert http.post(f"{url}/{first['id']}/withdraw", headers=headers).status_code == 422
    again = http.post(url, json={"micro_ability": picks[0], "evidence": uploaded}, headers=headers)
    assert again.status_code == 201 and again.json()["attempt"] == 2
    mine = next(e for e in http.get("/me", headers=headers).json()["enrolments"] if e["campaign"] == campaign_code)
    assert [(s["attempt"], s["status"]) for s in mine["submissions"]] == [(1, "withdrawn"), (2, "submitted")]

    assert http.post(url, json={"micro_ability": "Z9"}, headers=headers).status_code == 404
    malformed = http.post(url, json={"micro_ability": picks[0], "evidence": {"x": 0}}, headers=headers)
    assert malformed.status_code == 422 and "evidence" in malformed.json()["errors"][0]["field"]
    assert http.post(f"{url}/999999/withdraw", headers=headers).status_code == 404

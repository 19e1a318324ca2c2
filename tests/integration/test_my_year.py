"""A teacher's own year over HTTP: GET /me, choosing micro-abilities while the school trains, submitting uploaded
evidence and withdrawing it (SQLite and PostgreSQL)."""
import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import app
from flows.dispatch import dispatch_once
from infra import repository as repo
from infra.db import session_scope
from infra.security import hash_password
from models.campaign import MicroAbility, SchoolEnrolment, TeacherEnrolment
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


def _into_review(campaign: str) -> None:
    """The school moved on to its review, as finishing training would."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        session.execute(update(SchoolEnrolment).where(SchoolEnrolment.id == enrolment.id)
                        .values(state=S.SCHOOL_REVIEW))


def _teachers_may_log_in(campaign: str) -> tuple[list[str], list[str]]:
    """Every teacher of the school able to log in; the first micro-abilities of the school's set and the first one's
    items."""
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, SCHOOL)
        for person in session.scalars(select(Person).where(Person.username.like(f"{SCHOOL}-t%"))):
            person.password_hash = hash_password("tisheng-demo")
        picks = enrolment.plan["micro_abilities"][:3]
        items = session.scalars(select(MicroAbility.evidence_items).where(
            MicroAbility.campaign_id == enrolment.campaign_id, MicroAbility.code == picks[0])).one()
    return picks, items


def test_a_colleague_reviews_first_the_grader_reads_it_and_a_fail_is_submitted_again(database, prefect_harness,
                                                                                      campaign_code):
    _drive_to(campaign_code, S.TRAINING)
    picks, items = _teachers_may_log_in(campaign_code)
    http = TestClient(app)
    me, colleague, leader = (_login(http, f"{SCHOOL}-{who}") for who in ("t001", "t002", "leader"))
    for headers in (me, colleague):
        assert http.put(f"/campaigns/{campaign_code}/me/choices", json={"micro_abilities": picks},
                        headers=headers).status_code == 200
    _into_review(campaign_code)
    url = f"/campaigns/{campaign_code}/me/submissions"
    files = {item: _upload(http, me, campaign_code, picks[0], item) for item in items}
    first = http.post(url, json={"micro_ability": picks[0], "evidence": files}, headers=me).json()

    (review,) = http.get("/tasks", params={"campaign": campaign_code, "kind": "peer_review"},
                         headers=colleague).json()["items"]
    assert (review["submission_id"], review["claimed_by"]) == (first["id"], f"{SCHOOL}-t002")
    assert http.get("/tasks", params={"campaign": campaign_code, "kind": "peer_review"},
                    headers=_login(http, f"{SCHOOL}-t003")).json()["total"] == 0
    refused = http.post(url, json={"micro_ability": picks[0], "evidence": {}}, headers=colleague)
    assert "peer_review_first" in {e["field"] for e in refused.json()["errors"]}
    blank = http.post(f"/tasks/{review['id']}/complete", json={"kind": "peer_review", "comment": " "},
                      headers=colleague)
    assert blank.status_code == 422
    assert http.post(f"/tasks/{review['id']}/complete", json={"kind": "peer_review", "comment": "设计清楚"},
                     headers=colleague).status_code == 202
    dispatch_once()

    grading = next(t for t in http.get("/tasks", params={"campaign": campaign_code, "kind": "submission_grading"},
                                       headers=leader).json()["items"] if t["submission_id"] == first["id"])
    read = http.get(f"/tasks/{grading['id']}", headers=leader).json()
    assert read["evidence"] == files
    assert [(r["reviewer"]["username"], r["comment"]) for r in read["peer_reviews"]] == [(f"{SCHOOL}-t002", "设计清楚")]
    fail = {"kind": "submission_grading", "items": {item: "fail" for item in items}, "comment": "报告缺数据"}
    assert http.post(f"/tasks/{grading['id']}/complete", json=fail, headers=leader).status_code == 202
    assert http.post(f"{url}/{first['id']}/withdraw", headers=me).status_code == 422  # its grade is being applied
    dispatch_once()

    mine = next(e for e in http.get("/me", headers=me).json()["enrolments"] if e["campaign"] == campaign_code)
    assert [(s["attempt"], s["status"], s["grade"]) for s in mine["submissions"]] == [(1, "graded", "fail")]
    again = http.post(url, json={"micro_ability": picks[0], "evidence": files}, headers=me)
    assert again.status_code == 201 and again.json()["attempt"] == 2
    regrading = http.get("/tasks", params={"campaign": campaign_code, "kind": "submission_grading"},
                         headers=leader).json()["items"]
    assert again.json()["id"] in {t["submission_id"] for t in regrading}

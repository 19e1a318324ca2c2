"""GET /campaigns/{c}/schools/{s}/teachers: a school's teachers' progress table, and who blocks what."""
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from api.routes.me import HoursView, SubmissionView
from application import school_progress as service

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=error_responses(401, 403, 404, 422))


class BlockerView(BaseModel):
    """What of the teacher's a declaration of the school waits on."""

    declaration: str
    reason: str


class TeacherProgressView(BaseModel):
    """One teacher: choices, hours against the policy, submissions, result, open peer reviews and blockers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "DEMO-X1-S001-t002", "name": "教师2", "withdrawn": False, "choices": ["A1", "B2", "C4"],
        "hours": {"online": 25, "practice": 10, "online_min": 25, "practice_min": 25, "total_min": 50,
                  "shortfall": "practice 10 h < 25 h"},
        "submissions": [], "result": None, "peer_reviews_open": 1,
        "blockers": [{"declaration": "training_completion", "reason": "hours: practice 10 h < 25 h"},
                     {"declaration": "county_application", "reason": "no result yet"}]}]})
    username: str
    name: str
    withdrawn: bool
    choices: list[str]
    hours: HoursView
    submissions: list[SubmissionView]
    result: str | None
    peer_reviews_open: int
    blockers: list[BlockerView]


@router.get("/{campaign}/schools/{school}/teachers", response_model=list[TeacherProgressView])
def teachers_progress(campaign: str, school: str, uow: UowDep, user: CurrentUser) -> list[TeacherProgressView]:
    """Every teacher of the school (withdrawn ones marked, never blocking) with their standing and what of theirs
    blocks `training_completion` (hours, choices) or `county_application` (no result yet); for the school's admin and
    group leaders and everyone above the school (403 otherwise, teachers included)."""
    return [TeacherProgressView(
        username=t.username, name=t.name, withdrawn=t.withdrawn, choices=t.choices, hours=HoursView(**vars(t.hours)),
        submissions=[SubmissionView(**vars(s)) for s in t.submissions], result=t.result,
        peer_reviews_open=t.peer_reviews_open, blockers=[BlockerView(**vars(b)) for b in t.blockers])
        for t in service.teachers_progress(uow, user, campaign, school)]

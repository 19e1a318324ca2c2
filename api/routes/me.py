"""GET /me: a person's own year — their open tasks and, as a teacher, choices, hours, submissions and grades; a
teacher's own steps (PUT /campaigns/{c}/me/choices)."""
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from api.routes.tasks import Named, TaskView, task_view
from application import my_submissions, my_work as service
from application.concurrency import commit_with_retry

router = APIRouter(tags=["me"], responses=error_responses(401))
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
AbilityCode = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[^\x00-\x1f]+$")]


class SubmissionView(BaseModel):
    """One of the teacher's submissions: a micro-ability's attempt, its status (submitted, graded, withdrawn), its
    grade (None until graded) and the evidence it sent."""

    id: int
    micro_ability: str
    attempt: int
    status: str
    grade: str | None
    submitted_at: datetime
    evidence: dict[str, int] = Field(description="evidence item -> the evidence version submitted for it")
    withdrawn_at: datetime | None


class HoursView(BaseModel):
    """Credited hours against the policy's minimums; `shortfall` names what is still lacking, or is None."""

    online: float
    practice: float
    online_min: float
    practice_min: float
    total_min: float
    shortfall: str | None


class EnrolmentView(BaseModel):
    """A campaign the person takes part in as a teacher, and their standing in it."""

    campaign: str
    campaign_status: str
    school: Named
    school_state: str
    withdrawn: bool
    choices: list[str]
    hours: HoursView
    submissions: list[SubmissionView]
    result: str | None


class MyYearView(BaseModel):
    """Who the caller is, how many tasks are open for them (the first 20 shown) and their teacher enrolments."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "demo-teacher-1", "name": "教师1", "role": "teacher", "open_tasks": 0, "tasks": [],
        "enrolments": [{"campaign": "demo-yanzhou-2022", "campaign_status": "open",
                        "school": {"code": "DEMO-X1-S001", "name": "示范学校1"}, "school_state": "training",
                        "withdrawn": False, "choices": ["A1", "B2", "C3"],
                        "hours": {"online": 12.5, "practice": 0, "online_min": 25, "practice_min": 25,
                                  "total_min": 50, "shortfall": "online 12.5 h < 25 h"},
                        "submissions": [], "result": None}]}]})
    username: str
    name: str
    role: str
    open_tasks: int
    tasks: list[TaskView]
    enrolments: list[EnrolmentView]


@router.get("/me", response_model=MyYearView)
def my_year(uow: UowDep, user: CurrentUser) -> MyYearView:
    """Your open tasks and, for each campaign you are enrolled in as a teacher, your choices, hours against the
    policy with the shortfall, submissions and grades."""
    year = service.my_year(uow, user)
    return MyYearView(
        username=user.username, name=user.name, role=user.role, open_tasks=year.open_tasks,
        tasks=[task_view(t) for t in year.tasks], enrolments=[_enrolment(e) for e in year.enrolments])


class Choices(BaseModel):
    """The micro-abilities a teacher takes this year, by code (003: three, from the school's set)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"micro_abilities": ["A1", "B2", "C3"]}]})
    micro_abilities: list[AbilityCode] = Field(min_length=1, max_length=30)


@router.put("/campaigns/{campaign}/me/choices", response_model=EnrolmentView,
            responses=error_responses(400, 404, 409, 422))
def choose_micro_abilities(campaign: str, body: Choices, uow: UowDep, user: CurrentUser) -> EnrolmentView:
    """Set your micro-abilities for a campaign while your school is in training; a refusal (422) names every rule
    the choice breaks in `errors` (count, duplicates, dimensions, the school's set, unknown codes). 404 when you are
    not enrolled in it as a teacher."""
    chosen = service.choose_micro_abilities(uow, user, campaign, body.micro_abilities)
    uow.commit()
    return _enrolment(chosen)


class NewSubmission(BaseModel):
    """Submit a chosen micro-ability's work; `evidence` names the version per required item (evidence ids from your
    uploads), any item left out sends your latest upload of it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"micro_ability": "A1", "evidence": {"design": 41, "reflection": 42}}, {"micro_ability": "B2"}]})
    micro_ability: AbilityCode
    evidence: dict[Annotated[str, StringConstraints(min_length=1, max_length=32)],
                   Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=dict, max_length=20)


@router.post("/campaigns/{campaign}/me/submissions", response_model=SubmissionView, status_code=201,
             responses=error_responses(400, 404, 409, 422))
def submit_my_work(campaign: str, body: NewSubmission, uow: UowDep, user: CurrentUser) -> SubmissionView:
    """Submit your work for one of your micro-abilities, with an uploaded file per required evidence item; again as
    a new attempt after 不合格. A refusal (422) names every rule broken in `errors` (not chosen, awaiting grading,
    already passed, a missing or foreign file, a peer review owed first, the school's stage). During the school's
    review the grading task opens at once; in training, when the school finishes training."""
    made = commit_with_retry(uow, my_submissions.submit_my_work, user, campaign, body.micro_ability, body.evidence)
    return SubmissionView(**vars(made))


@router.post("/campaigns/{campaign}/me/submissions/{submission_id}/withdraw", response_model=SubmissionView,
             responses=error_responses(400, 404, 409, 422))
def withdraw_my_submission(campaign: str, submission_id: SubmissionId, uow: UowDep,
                           user: CurrentUser) -> SubmissionView:
    """Withdraw your submission while it awaits its grade (its open grading task is cancelled); 422 once graded or
    while its grade is being applied."""
    withdrawn = my_submissions.withdraw_my_submission(uow, user, campaign, submission_id)
    uow.commit()
    return SubmissionView(**vars(withdrawn))


def _enrolment(e: service.Enrolment) -> EnrolmentView:
    return EnrolmentView(
        campaign=e.campaign, campaign_status=e.campaign_status, school=Named(code=e.school[0], name=e.school[1]),
        school_state=e.school_state, withdrawn=e.withdrawn, choices=e.choices, hours=HoursView(**vars(e.hours)),
        submissions=[SubmissionView(**vars(s)) for s in e.submissions], result=e.result)

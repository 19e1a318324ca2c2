"""The human-task inbox: list, read, claim, release and complete (into the outbox, applied by a flow)."""
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from api import idempotency
from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from application import county_applications, inbox, peer_reviews, plan_filings
from application.plan_filings import PLAN_TASKS, PlanFiling
from application.inbox import TaskFilter, TaskRow
from infra.settings import get_settings
from models.decisions import Decision, openapi_examples
from models.errors import PreconditionFailed
from models.outbox import OutboxEntry
from models.text import single_line

router = APIRouter(tags=["tasks"], responses=error_responses(400, 401, 403, 404, 422))
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IsoDateTime = Annotated[datetime, BeforeValidator(lambda v: _iso(v)), AfterValidator(lambda v: _in_range(v))]
IfMatch = Annotated[str | None, Header(pattern=r'^\s*(W/)?"?\d{1,9}"?\s*$',
                                        description='The task\'s ETag, e.g. "3"; a stale one gets 412.')]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="Repeat a POST safely with the same key.")]


def _iso(value: object) -> object:
    """Only ISO 8601 date-times: pydantic alone would also take a bare number as a Unix time."""
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("an ISO 8601 date-time such as 2022-11-25T00:00:00+08:00")
    return value


def _in_range(value: datetime) -> datetime:
    """Years 1970-9999 in UTC: outside them a database cannot compare the value."""
    try:
        year = value.astimezone(UTC).year if value.tzinfo else value.year
    except OverflowError:
        raise ValueError("a date-time between 1970 and 9999") from None
    if not 1970 <= year <= 9999:
        raise ValueError("a date-time between 1970 and 9999")
    return value


class Named(BaseModel):
    """A unit or micro-ability: its code and name."""

    code: str
    name: str


class Teacher(BaseModel):
    """The teacher a task is about."""

    username: str
    name: str


class PlanDocumentView(BaseModel):
    """One plan document: its evidence record and where to fetch a download link."""

    field: str
    title: str
    evidence_id: int
    original_name: str
    size: int
    sha256: str
    download: str = Field(description="GET it for a short-lived link that downloads the file")


class PlanFilingView(BaseModel):
    """One filing of the school's plan: when, by whom, the plan as filed, and its documents."""

    filed_at: datetime
    filed_by: str
    plan: dict[str, Any]
    documents: list[PlanDocumentView]


class ApplicationView(BaseModel):
    """The school's latest application for the county's assessment: when, by whom, its 自查得分 per rubric item and
    its reports (evidence id by name)."""

    applied_at: datetime
    applied_by: str
    self_scores: dict[str, float] | None
    reports: dict[str, int]


class PeerReviewView(BaseModel):
    """A colleague's review of the submission."""

    reviewer: Teacher
    comment: str
    reviewed_at: datetime


class TaskView(BaseModel):
    """A human task as its reviewers see it: ids, and the names of its school, unit and (for a submission) teacher
    and micro-ability."""

    id: int
    kind: str
    campaign_id: int
    school_enrolment_id: int | None
    submission_id: int | None
    subject: str
    unit_id: int
    candidate_role: str
    status: str
    due_at: datetime
    created_at: datetime
    completed_at: datetime | None
    claimed_by: str | None
    decided_by: str | None
    decision: dict[str, Any] | None
    version: int
    school: Named | None
    unit: Named
    teacher: Teacher | None
    micro_ability: Named | None
    evidence: dict[str, int] | None = Field(
        default=None, description="A task on a submission (grading, peer review, confirmation) read alone: the "
                                  "evidence id sent per item (fetch each with /evidence/{id}/download)")
    peer_reviews: list[PeerReviewView] | None = Field(
        default=None, description="A task on a submission read alone: colleagues' recorded reviews of the "
                                  "submission (003 互学互评), oldest first")
    proposed_grade: str | None = Field(
        default=None, description="A task on a submission read alone, while the group leader's grade awaits the "
                                  "school's confirmation (grade_confirmation): that grade")
    application: ApplicationView | None = Field(
        default=None, description="A county_assessment_scoring task read alone: the school's application, with its "
                                  "self scores and reports")
    plans: list[PlanFilingView] | None = Field(
        default=None, description="A plan_review or plan_revision task read alone: the plans its school filed, "
                                  "newest (the one under review) first, each with its documents' download links")


class TaskPage(BaseModel):
    """One page of an inbox listing."""

    total: int
    page: int
    page_size: int
    items: list[TaskView]


class DecisionStatus(BaseModel):
    """Where an accepted decision stands: queued, applied by a flow run, or refused with the reason."""

    id: int
    task_id: int
    task_attempt: int = Field(description="Which decision of its task: 1, then 2 once a refusal reopened it, ...")
    status: str
    event: str | None
    flow_run_id: str | None
    error: str | None
    links: dict[str, str]


def _version(if_match: str | None) -> int | None:
    if if_match is None or not if_match.strip():
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise PreconditionFailed(f"If-Match must be a task ETag like \"3\", not {if_match!r}")
    return int(text)


# Fields not read off the task row: its names, and what a single read adds.
FILLED_APART = frozenset({"school", "unit", "teacher", "micro_ability", "plans", "evidence", "peer_reviews",
                          "proposed_grade", "application"})


def _named(pair: tuple[str, str] | None) -> Named | None:
    return Named(code=pair[0], name=pair[1]) if pair else None


def task_view(row: TaskRow, response: Response | None = None) -> TaskView:
    """A task row as the API shows it; with `response`, its ETag set."""
    if response is not None:
        response.headers["ETag"] = f'"{row.task.version}"'
    fields = {name: getattr(row.task, name) for name in TaskView.model_fields if name not in FILLED_APART}
    return TaskView(**fields, school=_named(row.school), unit=_named(row.unit), micro_ability=_named(row.micro_ability),
                    teacher=Teacher(username=row.teacher[0], name=row.teacher[1]) if row.teacher else None)


def decision_view(entry: OutboxEntry) -> DecisionStatus:
    """A queued decision as the API shows it, with its links."""
    links = {"self": f"/decisions/{entry.id}", "task": f"/tasks/{entry.task_id}"}
    if entry.flow_run_id:
        links["flow_run"] = f"{get_settings().prefect_ui}/runs/flow-run/{entry.flow_run_id}"
    return DecisionStatus(id=entry.id, task_id=entry.task_id, task_attempt=entry.task_attempt, status=entry.status,
                          event=entry.event, flow_run_id=entry.flow_run_id, error=entry.last_error, links=links)


@router.get("/tasks", response_model=TaskPage)
def list_tasks(
    uow: UowDep, user: CurrentUser,
    campaign: str | None = None, kind: str | None = None, status: str | None = "open", unit: str | None = None,
    due_before: IsoDateTime | None = None, due_after: IsoDateTime | None = None,
    sort: Annotated[str, Query(pattern="^-?due_at$")] = "due_at",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskPage:
    """The caller's inbox: tasks inside their unit (their role's, or all for an office), by due date."""
    total, rows = inbox.list_tasks(uow, user, TaskFilter(
        campaign, kind, status or None, unit, due_before, due_after, sort.startswith("-"), page, page_size))
    return TaskPage(total=total, page=page, page_size=page_size, items=[task_view(t) for t in rows])


@router.get("/tasks/{task_id:int}", response_model=TaskView)  # :int: /tasks/complete is no task
def get_task(task_id: TaskId, uow: UowDep, user: CurrentUser, response: Response) -> TaskView:
    """One task, with its ETag (a plan task: the plans filed, with their documents; a grading or peer review: the
    evidence sent, colleagues' reviews and a grade awaiting confirmation; a county scoring: the school's application
    with its self scores and reports); 404 for a task that is not in your listing."""
    view = task_view(inbox.read_task(uow, user, task_id), response)
    if view.kind in PLAN_TASKS:
        view.plans = [_filing(f) for f in plan_filings.task_plans(uow, user, task_id)]
    if applied := county_applications.task_application(uow, user, task_id):
        view.application = ApplicationView(**vars(applied))
    if inputs := peer_reviews.grading_inputs(uow, user, task_id):
        view.evidence, view.proposed_grade = inputs.evidence, inputs.proposed_grade
        view.peer_reviews = [PeerReviewView(reviewer=Teacher(username=r.reviewer[0], name=r.reviewer[1]),
                                            comment=r.comment, reviewed_at=r.reviewed_at) for r in inputs.reviews]
    return view


def _filing(filing: PlanFiling) -> PlanFilingView:
    return PlanFilingView(filed_at=filing.filed_at, filed_by=filing.filed_by, plan=filing.plan, documents=[
        PlanDocumentView(field=d.field, title=d.title, evidence_id=d.evidence.id, original_name=d.evidence.original_name,
                         size=d.evidence.size, sha256=d.evidence.sha256, download=f"/evidence/{d.evidence.id}/download")
        for d in filing.documents])


def _change(task_id: int, uow, user, if_match, key, action, name: str) -> JSONResponse:
    """Run one inbox change (at most once per Idempotency-Key), commit it, answer with the task and its ETag."""
    request_hash = idempotency.fingerprint("POST", f"/tasks/{task_id}/{name}", if_match)

    def change() -> JSONResponse:
        row = action(uow, user, task_id, _version(if_match))
        body = jsonable_encoder(task_view(row))
        idempotency.remember(uow.session, user, key, request_hash, 200, body)
        uow.commit()
        return JSONResponse(body, headers={"ETag": f'"{row.task.version}"'})
    return idempotency.once(uow.session, user, key, request_hash, change)


@router.post("/tasks/{task_id}/claim", response_model=TaskView, responses=error_responses(409, 412))
def claim_task(task_id: TaskId, uow: UowDep, user: CurrentUser, if_match: IfMatch = None,
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Take the task for yourself; of two simultaneous claims one wins (409 for the other)."""
    return _change(task_id, uow, user, if_match, idempotency_key, inbox.claim_task, "claim")


@router.post("/tasks/{task_id}/release", response_model=TaskView, responses=error_responses(409, 412))
def release_task(task_id: TaskId, uow: UowDep, user: CurrentUser, if_match: IfMatch = None,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Give a claimed task back."""
    return _change(task_id, uow, user, if_match, idempotency_key, inbox.release_task, "release")


Username = single_line(64, "The reviewer's username.")


class Reassignment(BaseModel):
    """Whom an office hands the task to."""

    to: Username


@router.post("/tasks/{task_id}/reassign", response_model=TaskView, responses=error_responses(409, 412))
def reassign_task(task_id: TaskId, body: Reassignment, uow: UowDep, user: CurrentUser, if_match: IfMatch = None,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """An office hands an open task to a reviewer of the right role inside its unit."""
    return _change(task_id, uow, user, if_match, idempotency_key,
                   lambda u, p, t, v: inbox.reassign_task(u, p, t, body.to, v), f"reassign:{body.to}")


@router.post("/tasks/{task_id}/complete", status_code=202, response_model=DecisionStatus,
             responses=error_responses(409, 412))
def complete_task(
    task_id: TaskId, uow: UowDep, user: CurrentUser,
    decision: Annotated[Decision, Body(openapi_examples=openapi_examples())],
    if_match: IfMatch = None, idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record the decision and queue it (202): a flow run applies it; follow the `self` link."""
    request_hash = idempotency.fingerprint("POST", f"/tasks/{task_id}/complete", decision.model_dump(mode="json"))

    def complete() -> JSONResponse:
        entry = inbox.complete_task(uow, user, task_id, decision, _version(if_match))
        body = jsonable_encoder(decision_view(entry))
        idempotency.remember(uow.session, user, idempotency_key, request_hash, 202, body)
        uow.commit()  # the decision is accepted: the service's fault point "decision-accepted" runs right after
        return JSONResponse(body, status_code=202, headers={"Location": body["links"]["self"]})
    return idempotency.once(uow.session, user, idempotency_key, request_hash, complete)


@router.get("/decisions/{decision_id}", response_model=DecisionStatus)
def decision_status(decision_id: TaskId, uow: UowDep, user: CurrentUser) -> DecisionStatus:
    """Where a decision stands: pending, applied (with its flow run) or refused (with the reason); 404 for a decision
    on a task that is not in your listing."""
    return decision_view(inbox.decision_status(uow, user, decision_id))

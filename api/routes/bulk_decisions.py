"""POST /tasks/complete: many decisions in one request, for offices with hundreds of schools; each item answered on
its own (202, or its refusal: 404, 409, 412, 422), none undone by another's refusal."""
from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api import idempotency
from api.deps import CurrentUser, UowDep
from api.problems import Problem, error_responses
from api.routes.tasks import DecisionStatus, IdempotencyKey, decision_view
from application import inbox
from models.decisions import Decision

router = APIRouter(tags=["tasks"], responses=error_responses(401))
DECISION = TypeAdapter(Decision)
MAX_ITEMS = 500


class BulkItem(BaseModel):
    """One task to complete: its id, the decision (as for POST /tasks/{id}/complete) and, optionally, the version
    (ETag) it was read at."""

    model_config = ConfigDict(extra="forbid")
    task: int = Field(ge=1, le=2**31 - 1)
    decision: dict[str, Any]
    if_match: int | None = Field(default=None, ge=1, le=2**31 - 1)


class BulkCompletion(BaseModel):
    """Up to 500 tasks to complete."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [
        {"task": 4101, "decision": {"kind": "province_audit", "outcome": "accept", "comment": "审核通过"},
         "if_match": 3},
        {"task": 4102, "decision": {"kind": "province_audit", "outcome": "accept"}}]}]})
    items: list[BulkItem] = Field(min_length=1, max_length=MAX_ITEMS)


class ItemResult(BaseModel):
    """How one item ended: 202 with its queued decision, or the refusal as a problem document."""

    task: int
    status: int
    decision: DecisionStatus | None = None
    problem: Problem | None = None


class BulkResult(BaseModel):
    """One result per item, in the order asked, and how many were accepted."""

    accepted: int
    results: list[ItemResult]


@router.post("/tasks/complete", response_model=BulkResult, responses=error_responses(400, 409, 422))
def complete_tasks(body: BulkCompletion, uow: UowDep, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Complete many tasks at once (200): each item is checked and queued as POST /tasks/{id}/complete would, and
    answered on its own in `results` — 202 with its decision, or the refusal (404 not yours, 409 taken or not open,
    412 `if_match` stale, 422 an invalid decision or a rule) — a refusal undoes nothing else."""
    request_hash = idempotency.fingerprint("POST", "/tasks/complete", body.model_dump(mode="json"))

    def complete() -> JSONResponse:
        parsed, invalid = [], {}
        for index, item in enumerate(body.items):
            try:
                parsed.append((index, item.task, DECISION.validate_python(item.decision), item.if_match))
            except ValidationError as exc:
                invalid[index] = _invalid(exc)
        answers = dict(zip((i for i, *_ in parsed), inbox.complete_tasks(uow, user, [p[1:] for p in parsed])))
        results = [ItemResult(task=item.task, status=422, problem=invalid[index]) if index in invalid
                   else _result(answers[index]) for index, item in enumerate(body.items)]
        payload = jsonable_encoder(BulkResult(accepted=sum(r.status == 202 for r in results), results=results),
                                   exclude_none=True)
        idempotency.remember(uow.session, user, idempotency_key, request_hash, 200, payload)
        uow.commit()
        return JSONResponse(payload, status_code=200)
    return idempotency.once(uow.session, user, idempotency_key, request_hash, complete)


def _invalid(exc: ValidationError) -> Problem:
    errors = [{"field": ".".join(["decision", *map(str, e["loc"])]), "message": e["msg"]} for e in exc.errors()]
    return Problem(title="Invalid request", status=422, detail=f"{len(errors)} field(s) are invalid", errors=errors)


def _result(answer: inbox.ItemAnswer) -> ItemResult:
    if answer.entry is not None:
        return ItemResult(task=answer.task_id, status=202, decision=decision_view(answer.entry))
    refusal = answer.refusal
    return ItemResult(task=answer.task_id, status=answer.status, problem=Problem(
        title=refusal.title, status=refusal.status_code, detail=refusal.detail, errors=refusal.errors))

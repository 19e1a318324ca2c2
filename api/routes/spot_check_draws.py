"""POST /campaigns/{c}/spot-check-draws: the office the policy names draws the spot check over its locked schools."""
from fastapi import APIRouter, Body
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import idempotency
from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from api.routes.tasks import DecisionStatus, IdempotencyKey, decision_view
from application import spot_check_draws as service

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=error_responses(401, 403, 404, 409, 422))


class DrawRequest(BaseModel):
    """An optional seed: the same seed over the same population draws the same sample; without one a random seed is
    drawn and recorded."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seed": 20221201}, {}]})
    seed: int | None = Field(default=None, ge=0, lt=service.SEEDS)


class DrawnSchoolView(BaseModel):
    """One school's outcome: sampled for spot check or on to the province, and its queued decision."""

    county: str
    school: str
    sampled: bool
    earlier_draw: bool = Field(description="An earlier draw decided it (it locked again after a rectification): "
                                           "its outcome is kept, it is not drawn again")
    population_hash: str = Field(description="SHA-256 of the county's sorted codes drawn from")
    decision: DecisionStatus


class DrawView(BaseModel):
    """The draw as recorded: seed, ratio, the population's hash, the sample, and every school's queued move."""

    campaign: str
    seed: int
    ratio: float
    population: int
    population_hash: str = Field(description="SHA-256 of the sorted codes of every school drawn from")
    sample: list[str]
    schools: list[DrawnSchoolView]


@router.post("/{campaign}/spot-check-draws", status_code=202, response_model=DrawView,
             responses=error_responses(400))
def draw_spot_checks(campaign: str, uow: UowDep, user: CurrentUser,
                     body: DrawRequest = Body(default_factory=DrawRequest),
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Draw ≥ the policy's ratio of each county's waiting locked schools for spot check (at least one per county),
    the rest on to the province (202: each school's move is queued and applied by the dispatcher); only the office
    the policy's `spot_check_by` names, over the schools of its own unit (403 otherwise); 409 when none waits or a
    concurrent draw took one of them."""
    request_hash = idempotency.fingerprint("POST", f"/campaigns/{campaign}/spot-check-draws", body.model_dump())

    def draw() -> JSONResponse:
        done = service.draw_spot_checks(uow, user, campaign, body.seed)
        view = DrawView(
            campaign=done.campaign, seed=done.seed, ratio=done.ratio, population=len(done.schools),
            population_hash=done.population_hash, sample=[s.school for s, _ in done.schools if s.sampled],
            schools=[DrawnSchoolView(county=s.county, school=s.school, sampled=s.sampled, earlier_draw=s.earlier,
                                     population_hash=s.payload["population_hash"], decision=decision_view(entry))
                     for s, entry in done.schools])
        payload = jsonable_encoder(view)
        idempotency.remember(uow.session, user, idempotency_key, request_hash, 202, payload)
        uow.commit()
        return JSONResponse(payload, status_code=202)
    return idempotency.once(uow.session, user, idempotency_key, request_hash, draw)

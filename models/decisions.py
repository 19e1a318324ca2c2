"""Typed decisions per human-task kind (and outcome), and the lifecycle event each one fires."""
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.enums import Grade, SchoolEvent as E, TaskKind

Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S", description="Why; required.")]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=2000)


class PlanFiled(_Decision):
    """County office: file (备案) the school's plans."""

    kind: Literal["plan_review"] = "plan_review"
    outcome: Literal["file"]


class PlanReturned(_Decision):
    """County office: return the plans for revision, with the reason."""

    kind: Literal["plan_review"] = "plan_review"
    outcome: Literal["return"]
    reason: Reason


class PlanDocuments(BaseModel):
    """The plans a school files (000 学校职责 1) and its chosen micro-abilities (003)."""

    model_config = ConfigDict(extra="forbid")
    development_plan: str = Field(min_length=1, max_length=20000)
    research_plan: str = Field(min_length=1, max_length=20000)
    assessment_plan: str = Field(min_length=1, max_length=20000)
    research_theme: str = Field(min_length=1, max_length=200)
    micro_abilities: list[str] | None = None


class PlanRevisionDecision(_Decision):
    """School admin: resubmit revised plans."""

    kind: Literal["plan_revision"] = "plan_revision"
    plan: PlanDocuments


class SubmissionGradingDecision(_Decision):
    """Group leader: a grade per evidence item; they roll up to the micro-ability's grade."""

    kind: Literal["submission_grading"] = "submission_grading"
    items: dict[str, Grade] = Field(min_length=1)


class _CountyScores(_Decision):
    kind: Literal["county_assessment_scoring"] = "county_assessment_scoring"
    scores: dict[str, float] = Field(default_factory=dict)
    self_scores: dict[str, float] | None = None
    works_sent_up: int | None = Field(default=None, ge=0)
    score: float | None = Field(default=None, ge=0, le=100)


class CountyPassed(_CountyScores):
    """County expert: the school passes on its table, graded 优秀 if asked and within the county's cap."""

    outcome: Literal["pass"]
    excellent: bool = False


class CountyFailed(_CountyScores):
    """County expert: the school fails on its table and rectifies (reason required)."""

    outcome: Literal["fail"]
    reason: Reason


class RectificationDecision(_Decision):
    """School admin: report the rectification done and ask to be assessed again."""

    kind: Literal["rectification"] = "rectification"
    report: str = Field(min_length=1, max_length=5000)


class SpotCheckPassed(_Decision):
    """City expert: the spot check passed."""

    kind: Literal["spot_check"] = "spot_check"
    outcome: Literal["pass"]


class SpotCheckFailed(_Decision):
    """City expert: the spot check failed; the school rectifies."""

    kind: Literal["spot_check"] = "spot_check"
    outcome: Literal["fail"]
    reason: Reason


class ProvinceAccepted(_Decision):
    """Province auditor: accept the school; its teachers' hours are credited."""

    kind: Literal["province_audit"] = "province_audit"
    outcome: Literal["accept"]


class ProvinceReturned(_Decision):
    """Province auditor: return the school for rectification."""

    kind: Literal["province_audit"] = "province_audit"
    outcome: Literal["return"]
    reason: Reason


def _by_outcome(*models: type) -> Any:
    return Annotated[models[0] | models[1], Field(discriminator="outcome")]


Decision = Annotated[
    _by_outcome(PlanFiled, PlanReturned) | PlanRevisionDecision | SubmissionGradingDecision
    | _by_outcome(CountyPassed, CountyFailed) | RectificationDecision | _by_outcome(SpotCheckPassed, SpotCheckFailed)
    | _by_outcome(ProvinceAccepted, ProvinceReturned),
    Field(discriminator="kind"),
]

EVENTS: dict[tuple[str, str | None], E] = {
    ("plan_review", "file"): E.FILE_PLAN, ("plan_review", "return"): E.RETURN_PLAN,
    ("plan_revision", None): E.SUBMIT_PLAN,
    ("county_assessment_scoring", "pass"): E.PASS_COUNTY_ASSESSMENT,
    ("county_assessment_scoring", "fail"): E.FAIL_COUNTY_ASSESSMENT,
    ("rectification", None): E.FINISH_RECTIFICATION,
    ("spot_check", "pass"): E.PASS_SPOT_CHECK, ("spot_check", "fail"): E.FAIL_SPOT_CHECK,
    ("province_audit", "accept"): E.ACCEPT_BY_PROVINCE, ("province_audit", "return"): E.RETURN_BY_PROVINCE,
}


def lifecycle_event(decision: BaseModel) -> tuple[E, dict[str, Any]] | None:
    """The school event a decision fires and its payload; None for a grading decision (applied in bulk)."""
    if decision.kind == TaskKind.SUBMISSION_GRADING:
        return None
    event = EVENTS[(decision.kind, getattr(decision, "outcome", None))]
    payload = decision.model_dump(mode="json", exclude={"kind", "outcome"}, exclude_none=True)
    return event, payload

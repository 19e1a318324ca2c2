"""Typed decisions per human-task kind, and the lifecycle event each one fires."""
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.enums import Grade, SchoolEvent as E, TaskKind


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=2000)


class _NeedsReason(_Decision):
    reason: str | None = Field(default=None, max_length=2000)

    def _reason_for(self, *outcomes: str) -> "_NeedsReason":
        if getattr(self, "outcome", None) in outcomes and not (self.reason or "").strip():
            raise ValueError(f"a reason is required when the outcome is {getattr(self, 'outcome')}")
        return self


class PlanReviewDecision(_NeedsReason):
    """County office: file (备案) the school's plans, or return them with a reason."""

    kind: Literal["plan_review"] = "plan_review"
    outcome: Literal["file", "return"]

    @model_validator(mode="after")
    def _reason(self) -> "PlanReviewDecision":
        return self._reason_for("return")


class PlanDocuments(BaseModel):
    """The plans a school files (000 学校职责 1) and its chosen micro-abilities (003)."""

    development_plan: str = Field(min_length=1)
    research_plan: str = Field(min_length=1)
    assessment_plan: str = Field(min_length=1)
    research_theme: str = Field(min_length=1)
    micro_abilities: list[str] | None = None


class PlanRevisionDecision(_Decision):
    """School admin: resubmit revised plans."""

    kind: Literal["plan_revision"] = "plan_revision"
    plan: PlanDocuments


class SubmissionGradingDecision(_Decision):
    """Group leader: a grade per evidence item (or one grade for the whole submission)."""

    kind: Literal["submission_grading"] = "submission_grading"
    items: dict[str, Grade] | None = None
    grade: Grade | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "SubmissionGradingDecision":
        if (self.items is None) == (self.grade is None):
            raise ValueError("give either items (a grade per evidence item) or grade")
        return self


class CountyAssessmentDecision(_NeedsReason):
    """County expert: the school's table (item scores), pass or fail, and whether to grade it 优秀."""

    kind: Literal["county_assessment_scoring"] = "county_assessment_scoring"
    outcome: Literal["pass", "fail"]
    scores: dict[str, float] = Field(default_factory=dict)
    self_scores: dict[str, float] | None = None
    works_sent_up: int | None = Field(default=None, ge=0)
    score: float | None = Field(default=None, ge=0, le=100)
    excellent: bool = False

    @model_validator(mode="after")
    def _reason(self) -> "CountyAssessmentDecision":
        return self._reason_for("fail")


class RectificationDecision(_Decision):
    """School admin: report the rectification done and ask to be assessed again."""

    kind: Literal["rectification"] = "rectification"
    report: str = Field(min_length=1, max_length=5000)


class SpotCheckDecision(_NeedsReason):
    """City expert: the spot check passed, or failed with a reason."""

    kind: Literal["spot_check"] = "spot_check"
    outcome: Literal["pass", "fail"]

    @model_validator(mode="after")
    def _reason(self) -> "SpotCheckDecision":
        return self._reason_for("fail")


class ProvinceAuditDecision(_NeedsReason):
    """Province auditor: accept the school, or return it with a reason."""

    kind: Literal["province_audit"] = "province_audit"
    outcome: Literal["accept", "return"]

    @model_validator(mode="after")
    def _reason(self) -> "ProvinceAuditDecision":
        return self._reason_for("return")


Decision = Annotated[
    PlanReviewDecision | PlanRevisionDecision | SubmissionGradingDecision | CountyAssessmentDecision
    | RectificationDecision | SpotCheckDecision | ProvinceAuditDecision,
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

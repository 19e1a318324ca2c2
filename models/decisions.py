"""Typed decisions per human-task kind (and outcome), and the lifecycle event each one fires."""
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from models.enums import Grade, SchoolEvent as E, TaskKind
from models.plan import ApplicationMode, TeachingEnvironment
from models.text import FreeText, Reason, required_text, single_line

EvidenceId = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
ThemeText = required_text(200)
ReportText = required_text(5000)
ReviewText = required_text(2000, "The review; required, and visible text (no control characters but newline and tab).")
AbilityCode = single_line(16)
ItemName = single_line(64)

# Example payloads for the OpenAPI document (a school under yanzhou-2022 and its annex-1 table).
_PLAN = {
    "development_plan": 101, "research_plan": 102, "assessment_plan": 103,  # ids of the uploaded plan files
    "research_theme": "技术支持的学情分析与精准教学",
    "application_mode": "轻、新技术融合",
    "environment": "混合",
    "micro_abilities": ["A1", "A3", "A5", "A6", "B2", "B3", "B6", "C4"],
}
_SCORES = {"management_team": 1, "teaching_status": 1, "development_plan": 2, "rules_and_systems": 2,
           "environment_category": 1, "activity_design": 2, "assessment_design": 2, "content_training": 5,
           "help_measures": 4.5, "incentives": 4.5, "self_test": 2, "demonstration": 4.5, "innovation": 4,
           "research": 3.5}
_LOW_SCORES = {**_SCORES, "development_plan": 1, "rules_and_systems": 1, "activity_design": 1, "assessment_design": 1,
               "content_training": 2, "help_measures": 1, "incentives": 1, "self_test": 1, "demonstration": 2,
               "innovation": 1.5, "research": 1}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    """Model configuration publishing these request bodies as the model's OpenAPI examples."""
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: FreeText = ""


class PlanFiled(_Decision):
    """County office: file (备案) the school's plans."""

    model_config = _examples({"kind": "plan_review", "outcome": "file", "comment": "四项规划齐全，同意备案"})
    kind: Literal["plan_review"]
    outcome: Literal["file"]


class PlanReturned(_Decision):
    """County office: return the plans for revision, with the reason."""

    model_config = _examples({"kind": "plan_review", "outcome": "return",
                              "reason": "研修计划缺少学时安排，请补充后重新提交"})
    kind: Literal["plan_review"]
    outcome: Literal["return"]
    reason: Reason


class PlanDocuments(BaseModel):
    """The plan a school files: its three documents as uploaded evidence files of item `plan` (000 学校职责 1),
    its 研修主题, application mode (000), teaching environment and chosen micro-abilities (003)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PLAN]})
    development_plan: EvidenceId = Field(description="学校信息化教育教学发展规划: the evidence id of its file")
    research_plan: EvidenceId = Field(description="校本研修方案: the evidence id of its file")
    assessment_plan: EvidenceId = Field(description="校本应用考核方案: the evidence id of its file")
    research_theme: ThemeText
    application_mode: ApplicationMode
    environment: TeachingEnvironment
    micro_abilities: list[AbilityCode] | None = None


class PlanSubmissionDecision(_Decision):
    """School admin: submit the school's plans for filing (备案) the first time."""

    model_config = _examples({"kind": "plan_submission", "plan": _PLAN, "comment": "请县工程办审核备案"})
    kind: Literal["plan_submission"]
    plan: PlanDocuments


class PlanRevisionDecision(_Decision):
    """School admin: resubmit revised plans."""

    model_config = _examples({"kind": "plan_revision", "plan": _PLAN, "comment": "已按县工程办意见补充学时安排"})
    kind: Literal["plan_revision"]
    plan: PlanDocuments


class SubmissionGradingDecision(_Decision):
    """Group leader: a grade per evidence item; they roll up to the micro-ability's grade."""

    model_config = _examples({"kind": "submission_grading",
                              "items": {"学情分析方案": "excellent", "学情分析报告": "pass"},
                              "comment": "方案完整；报告的数据分析可再深入"})
    kind: Literal["submission_grading"]
    items: dict[ItemName, Grade] = Field(min_length=1)


class TrainingCompletionDecision(_Decision):
    """School admin: the school's training is done; refused (naming every teacher) while anyone lacks hours or a
    valid choice."""

    model_config = _examples({"kind": "training_completion", "comment": "全员完成线上学习与校本研修"})
    kind: Literal["training_completion"]


class CountyApplicationDecision(_Decision):
    """School admin: apply for the county's assessment (003: with the school's 自查得分 per rubric item); refused
    (naming every teacher) while anyone lacks a result, or below the policy's pass rate."""

    model_config = _examples({"kind": "county_application", "self_scores": _SCORES,
                              "reports": {"应用考核表": 201, "工作总结": 202, "情况汇总表": 203}, "comment": "申请县级考核"})
    kind: Literal["county_application"]
    self_scores: dict[str, float] | None = None
    reports: dict[ItemName, EvidenceId] = Field(default_factory=dict, max_length=10)


class GradeConfirmationDecision(_Decision):
    """School admin (two-level review): confirm the group leader's grade, or set the school's own per item."""

    model_config = _examples({"kind": "grade_confirmation", "comment": "同意教研组评定"},
                             {"kind": "grade_confirmation", "items": {"学情分析方案": "pass", "学情分析报告": "pass"},
                              "comment": "方案达到合格，不评优秀"})
    kind: Literal["grade_confirmation"]
    items: dict[ItemName, Grade] | None = Field(default=None, min_length=1)


class PeerReviewDecision(_Decision):
    """Teacher: a review of a colleague's submission (003 互学互评), which their grader reads."""

    model_config = _examples({"kind": "peer_review", "comment": "学情分析方案设计合理，报告可补充前测数据"})
    kind: Literal["peer_review"]
    comment: ReviewText


class PresenterConfirmed(_Decision):
    """County expert: the drawn presenter's work holds up (查、评、听、问)."""

    model_config = _examples({"kind": "presenter_verification", "outcome": "confirmed", "notes": "说课与成果一致"})
    kind: Literal["presenter_verification"]
    outcome: Literal["confirmed"]
    notes: FreeText = ""


class PresenterDoubtful(_Decision):
    """County expert: the presenter's work is in doubt; the notes say why."""

    model_config = _examples({"kind": "presenter_verification", "outcome": "doubtful",
                              "notes": "现场说课与提交的教学设计不符"})
    kind: Literal["presenter_verification"]
    outcome: Literal["doubtful"]
    notes: Reason


class _CountyScores(_Decision):
    kind: Literal["county_assessment_scoring"]
    scores: dict[str, float] = Field(default_factory=dict)
    self_scores: dict[str, float] | None = None
    works_sent_up: int | None = Field(default=None, ge=0)
    score: float | None = Field(default=None, ge=0, le=100)


class CountyPassed(_CountyScores):
    """County expert: the school passes on its table, graded 优秀 if asked and within the county's cap."""

    model_config = _examples({"kind": "county_assessment_scoring", "outcome": "pass", "scores": _SCORES,
                              "works_sent_up": 3, "excellent": True, "comment": "考核合格，申请优秀等次"})
    outcome: Literal["pass"]
    excellent: bool = False


class CountyFailed(_CountyScores):
    """County expert: the school fails on its table and rectifies (reason required)."""

    model_config = _examples({"kind": "county_assessment_scoring", "outcome": "fail", "scores": _LOW_SCORES,
                              "works_sent_up": 1, "reason": "校本研修组织实施记录不完整，帮扶与激励措施未落实"})
    outcome: Literal["fail"]
    reason: Reason


class RectificationDecision(_Decision):
    """School admin: report the rectification done and ask to be assessed again."""

    model_config = _examples({"kind": "rectification", "report": "已补齐校本研修活动记录并落实帮扶措施，请求重新考核"})
    kind: Literal["rectification"]
    report: ReportText


class SpotCheckPassed(_Decision):
    """City expert: the spot check passed."""

    model_config = _examples({"kind": "spot_check", "outcome": "pass", "comment": "抽查材料真实完整"})
    kind: Literal["spot_check"]
    outcome: Literal["pass"]


class SpotCheckFailed(_Decision):
    """City expert: the spot check failed; the school rectifies."""

    model_config = _examples({"kind": "spot_check", "outcome": "fail",
                              "reason": "抽查发现3名教师的课堂实录与提交材料不符"})
    kind: Literal["spot_check"]
    outcome: Literal["fail"]
    reason: Reason


class ProvinceAccepted(_Decision):
    """Province auditor: accept the school; its teachers' hours are credited."""

    model_config = _examples({"kind": "province_audit", "outcome": "accept", "comment": "审核通过，整校认定"})
    kind: Literal["province_audit"]
    outcome: Literal["accept"]


class ProvinceReturned(_Decision):
    """Province auditor: return the school for rectification."""

    model_config = _examples({"kind": "province_audit", "outcome": "return",
                              "reason": "学时数据与平台记录不一致，请核实后整改"})
    kind: Literal["province_audit"]
    outcome: Literal["return"]
    reason: Reason


def _by_outcome(*models: type) -> Any:
    return Annotated[models[0] | models[1], Field(discriminator="outcome")]


def _kind_of(value: Any) -> str | None:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


# A callable discriminator: its schema is a plain oneOf (a `kind` mapping onto the nested `outcome` unions would not
# be valid OpenAPI), and as its own metadata it survives FastAPI's Body(), which replaces the union's Field.
Decision = Annotated[
    Annotated[PlanSubmissionDecision, Tag("plan_submission")]
    | Annotated[_by_outcome(PlanFiled, PlanReturned), Tag("plan_review")]
    | Annotated[PlanRevisionDecision, Tag("plan_revision")]
    | Annotated[TrainingCompletionDecision, Tag("training_completion")]
    | Annotated[SubmissionGradingDecision, Tag("submission_grading")]
    | Annotated[PeerReviewDecision, Tag("peer_review")]
    | Annotated[GradeConfirmationDecision, Tag("grade_confirmation")]
    | Annotated[CountyApplicationDecision, Tag("county_application")]
    | Annotated[_by_outcome(CountyPassed, CountyFailed), Tag("county_assessment_scoring")]
    | Annotated[_by_outcome(PresenterConfirmed, PresenterDoubtful), Tag("presenter_verification")]
    | Annotated[RectificationDecision, Tag("rectification")]
    | Annotated[_by_outcome(SpotCheckPassed, SpotCheckFailed), Tag("spot_check")]
    | Annotated[_by_outcome(ProvinceAccepted, ProvinceReturned), Tag("province_audit")],
    Discriminator(_kind_of, custom_error_type="decision_kind", custom_error_message=(
        "kind is required and must be one of plan_submission, plan_review, plan_revision, training_completion, "
        "submission_grading, peer_review, grade_confirmation, county_application, county_assessment_scoring, "
        "presenter_verification, rectification, spot_check, province_audit")),
]

DECISION_MODELS: tuple[type[BaseModel], ...] = (
    PlanSubmissionDecision, PlanFiled, PlanReturned, PlanRevisionDecision, TrainingCompletionDecision,
    SubmissionGradingDecision, PeerReviewDecision, GradeConfirmationDecision, CountyApplicationDecision, CountyPassed,
    CountyFailed, PresenterConfirmed, PresenterDoubtful, RectificationDecision, SpotCheckPassed, SpotCheckFailed,
    ProvinceAccepted, ProvinceReturned,
)
"""Every variant of `Decision`, in lifecycle order."""


def openapi_examples() -> dict[str, dict[str, Any]]:
    """Named request examples, one per decision variant, for a body's `openapi_examples`."""
    named = {}
    for model in DECISION_MODELS:
        example = model.model_config["json_schema_extra"]["examples"][0]
        summary = " · ".join(filter(None, (example["kind"], example.get("outcome"))))
        named[model.__name__] = {"summary": summary, "description": model.__doc__, "value": example}
    return named


EVENTS: dict[tuple[str, str | None], E] = {
    ("plan_review", "file"): E.FILE_PLAN, ("plan_review", "return"): E.RETURN_PLAN,
    ("plan_submission", None): E.SUBMIT_PLAN, ("plan_revision", None): E.SUBMIT_PLAN,
    ("training_completion", None): E.FINISH_TRAINING, ("county_application", None): E.APPLY_FOR_COUNTY_ASSESSMENT,
    ("county_assessment_scoring", "pass"): E.PASS_COUNTY_ASSESSMENT,
    ("county_assessment_scoring", "fail"): E.FAIL_COUNTY_ASSESSMENT,
    ("rectification", None): E.FINISH_RECTIFICATION,
    ("spot_check", "pass"): E.PASS_SPOT_CHECK, ("spot_check", "fail"): E.FAIL_SPOT_CHECK,
    ("province_audit", "accept"): E.ACCEPT_BY_PROVINCE, ("province_audit", "return"): E.RETURN_BY_PROVINCE,
}


SCHOOL_WORK_KINDS = frozenset({TaskKind.SUBMISSION_GRADING, TaskKind.PEER_REVIEW, TaskKind.GRADE_CONFIRMATION,
                               TaskKind.PRESENTER_VERIFICATION})
"""Decisions on teachers' work: they fire no school event; a school's are applied together in one run (a presenter
verification needs no applying: the county's pass reads it)."""


def lifecycle_event(decision: BaseModel) -> tuple[E, dict[str, Any]] | None:
    """The school event a decision fires and its payload; None for the decisions applied in bulk with the school's
    grades (SCHOOL_WORK_KINDS)."""
    if decision.kind in SCHOOL_WORK_KINDS:
        return None
    event = EVENTS[(decision.kind, getattr(decision, "outcome", None))]
    payload = decision.model_dump(mode="json", exclude={"kind", "outcome"}, exclude_none=True)
    return event, payload

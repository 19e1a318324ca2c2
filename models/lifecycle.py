"""The school lifecycle as data: (state, event) → move with named guards, and the tasks each state opens."""
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from models.enums import TERMINAL_STATES, SchoolEvent as E, SchoolState as S, TaskKind
from models.errors import GuardRejected, IllegalTransition
from models.choices import Ability, teacher_choice_violations
from models.errors import RuleViolated
from models.policy import Policy
from models.rubric import SchoolFacts, load_rubric, score_sheet
from models.grading import summarise_review
from models.plan import plan_problems
from models.rules import TeacherStanding, hours_shortfall
from models.text import has_visible_text


@dataclass(frozen=True)
class TransitionContext:
    """Everything a guard may look at: the school's state, the decision payload, policy, teachers."""

    state: S
    payload: Mapping[str, Any]
    policy: Policy
    teachers: tuple[TeacherStanding, ...] = field(default=())
    catalog: Mapping[str, Ability] = field(default_factory=dict)
    school_set: tuple[str, ...] | None = None
    facts: SchoolFacts | None = None
    plan_files: frozenset[int] = frozenset()  # the school's uploaded plan files (evidence ids), for SUBMIT_PLAN
    report_files: frozenset[int] = frozenset()  # the school's uploaded reports, for APPLY_FOR_COUNTY_ASSESSMENT
    presenter_checks: tuple[tuple[str, str | None], ...] = ()  # (presenter, outcome or None while open), for a pass


Guard = Callable[[TransitionContext], str | None]
"""A guard returns None to allow the move, or the reason it refuses."""

def plan_is_complete(ctx: TransitionContext) -> str | None:
    """The school files its three plan documents as uploaded files, a 研修主题, its application mode and
    environment (000 学校职责 1) and, where the policy asks, its chosen set (003): every shortfall named at once."""
    problems = plan_problems(ctx.payload.get("plan"), ctx.plan_files, ctx.catalog, ctx.policy.choices)
    return "; ".join(problems) or None


def _named(number: int, teacher: TeacherStanding) -> str:
    return teacher.who or f"teacher {number}"


def _every_teacher(problems: list[str], total: int, what: str) -> str | None:
    """One refusal naming every blocking teacher and why."""
    return f"{len(problems)} of {total} teacher(s) {what}: {'; '.join(problems)}" if problems else None


def every_teacher_chose_validly(ctx: TransitionContext) -> str | None:
    """Every teacher's micro-abilities satisfy the policy (count, dimensions, the school's set): each who does not is
    named with every rule broken."""
    problems = []
    for number, teacher in enumerate(ctx.teachers, 1):
        broken = teacher_choice_violations(list(teacher.choices), ctx.catalog, ctx.policy.choices, ctx.school_set)
        if broken:
            problems.append(f"{_named(number, teacher)}: {', '.join(p.detail for p in broken)}")
    return _every_teacher(problems, len(ctx.teachers), "chose invalidly")


def reason_is_given(ctx: TransitionContext) -> str | None:
    """Every return or failure is a recorded decision with a reason."""
    return None if has_visible_text(str(ctx.payload.get("reason") or "")) else "a reason is required"


def school_has_teachers(ctx: TransitionContext) -> str | None:
    """A school with no enrolled teachers cannot finish training."""
    return None if ctx.teachers else "the school has no enrolled teachers"


def every_teacher_meets_hours(ctx: TransitionContext) -> str | None:
    """Every teacher has the policy's online and practice hours (000: 25 + 25): each short is named with the gap."""
    short = [f"{_named(n, t)}: {s}" for n, t in enumerate(ctx.teachers, 1)
             if (s := hours_shortfall(t, ctx.policy.hours))]
    return _every_teacher(short, len(ctx.teachers), "short of hours")


def every_teacher_has_result(ctx: TransitionContext) -> str | None:
    """The school applies only 在学校完成全员研修与教师能力点考核后 (000): each teacher without a result is named."""
    ungraded = [_named(n, t) for n, t in enumerate(ctx.teachers, 1) if t.result is None]
    return f"{len(ungraded)} of {len(ctx.teachers)} teacher(s) have no result yet: {', '.join(ungraded)}" \
        if ungraded else None


def teacher_pass_rate_met(ctx: TransitionContext) -> str | None:
    """The teachers' pass rate reaches the policy target (003: 合格率 95%以上; 000: 98%以上)."""
    summary = summarise_review([t.result for t in ctx.teachers], ctx.policy)
    if summary.pass_rate_met:
        return None
    return f"pass rate {summary.pass_rate:.1%} < {ctx.policy.teacher_pass_rate_min:.0%}"


def application_reports_attached(ctx: TransitionContext) -> str | None:
    """The application attaches each report the policy names (003: 《应用考核表》、工作总结、《情况汇总表》) as one of
    the school's uploaded reports: every missing or foreign one named."""
    reports = ctx.payload.get("reports") if isinstance(ctx.payload.get("reports"), Mapping) else {}
    problems = []
    for name in ctx.policy.application_reports:
        if name not in reports:
            problems.append(f"report '{name}' is not attached")
        elif reports[name] not in ctx.report_files:
            problems.append(f"report '{name}': evidence {reports[name]} is not a report uploaded for this school")
    return "; ".join(problems) or None


def presenters_confirmed(ctx: TransitionContext) -> str | None:
    """Where the policy asks, the county passes a school once each drawn presenter's verification is confirmed
    (003: …通过查、评、听、问进行验证): each open or doubtful one named."""
    if not ctx.policy.presenters_verified_to_pass:
        return None
    problems = [f"{who}: {'verification still open' if outcome is None else outcome}"
                for who, outcome in ctx.presenter_checks if outcome != "confirmed"]
    return f"presenters not confirmed: {'; '.join(problems)}" if problems else None


def _score_against_mark(ctx: TransitionContext) -> tuple[float, float] | str | None:
    """(score, mark); a refusal text when the score is missing; None when the policy has no mark."""
    mark = ctx.policy.school_pass_score
    if mark is None:
        return None
    value = ctx.payload.get("score")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "payload.score is required"
    return float(value), mark


def county_score_passes(ctx: TransitionContext) -> str | None:
    """003: 得分80分及以上为合格等次; a policy without a point table needs no score."""
    scored = _score_against_mark(ctx)
    if not isinstance(scored, tuple):
        return scored
    score, mark = scored
    return None if score >= mark else f"score {score:g} < {mark:g}"


def county_score_fails(ctx: TransitionContext) -> str | None:
    """A school scoring at or above the pass mark cannot be failed on its score."""
    scored = _score_against_mark(ctx)
    if not isinstance(scored, tuple):
        return scored
    score, mark = scored
    return None if score < mark else f"score {score:g} reaches the pass mark {mark:g}"


def sample_is_recorded(ctx: TransitionContext) -> str | None:
    """A sampling decision carries the seed and population hash that reproduce it."""
    missing = [k for k in ("sample_seed", "population_hash") if ctx.payload.get(k) in (None, "")]
    return f"payload lacks {', '.join(missing)}" if missing else None


@dataclass(frozen=True)
class Move:
    """Where an event leads and which guards must all allow it."""

    to: S
    guards: tuple[Guard, ...] = ()


TRANSITIONS: dict[tuple[S, E], Move] = {
    (S.PLAN_DRAFTING, E.SUBMIT_PLAN): Move(S.PLAN_SUBMITTED, (plan_is_complete,)),
    (S.PLAN_RETURNED, E.SUBMIT_PLAN): Move(S.PLAN_SUBMITTED, (plan_is_complete,)),
    (S.PLAN_SUBMITTED, E.FILE_PLAN): Move(S.TRAINING),
    (S.PLAN_SUBMITTED, E.RETURN_PLAN): Move(S.PLAN_RETURNED, (reason_is_given,)),
    (S.TRAINING, E.FINISH_TRAINING): Move(
        S.SCHOOL_REVIEW, (school_has_teachers, every_teacher_meets_hours, every_teacher_chose_validly)
    ),
    (S.SCHOOL_REVIEW, E.APPLY_FOR_COUNTY_ASSESSMENT): Move(
        S.COUNTY_ASSESSMENT, (every_teacher_has_result, teacher_pass_rate_met, application_reports_attached)
    ),
    (S.COUNTY_ASSESSMENT, E.PASS_COUNTY_ASSESSMENT): Move(S.LOCKED, (county_score_passes, presenters_confirmed)),
    (S.COUNTY_ASSESSMENT, E.FAIL_COUNTY_ASSESSMENT): Move(S.RECTIFYING, (reason_is_given, county_score_fails)),
    (S.RECTIFYING, E.FINISH_RECTIFICATION): Move(S.COUNTY_ASSESSMENT, (every_teacher_has_result, teacher_pass_rate_met)),
    (S.LOCKED, E.SAMPLE_FOR_SPOT_CHECK): Move(S.SPOT_CHECK, (sample_is_recorded,)),
    (S.LOCKED, E.SKIP_SPOT_CHECK): Move(S.PROVINCE_AUDIT, (sample_is_recorded,)),
    (S.SPOT_CHECK, E.PASS_SPOT_CHECK): Move(S.PROVINCE_AUDIT),
    (S.SPOT_CHECK, E.FAIL_SPOT_CHECK): Move(S.RECTIFYING, (reason_is_given,)),
    (S.PROVINCE_AUDIT, E.ACCEPT_BY_PROVINCE): Move(S.CERTIFIED),
    (S.PROVINCE_AUDIT, E.RETURN_BY_PROVINCE): Move(S.RECTIFYING, (reason_is_given,)),
    **{(state, E.CLOSE_OUT): Move(S.INCOMPLETE) for state in S if state not in TERMINAL_STATES},
}

TASK_OPENED_ON_ENTRY: dict[S, TaskKind] = {
    S.PLAN_DRAFTING: TaskKind.PLAN_SUBMISSION,  # opened on enrolment: no move enters the first state
    S.PLAN_SUBMITTED: TaskKind.PLAN_REVIEW,
    S.PLAN_RETURNED: TaskKind.PLAN_REVISION,
    S.TRAINING: TaskKind.TRAINING_COMPLETION,
    S.SCHOOL_REVIEW: TaskKind.COUNTY_APPLICATION,
    S.COUNTY_ASSESSMENT: TaskKind.COUNTY_ASSESSMENT_SCORING,
    S.RECTIFYING: TaskKind.RECTIFICATION,
    S.LOCKED: TaskKind.SPOT_CHECK_DRAW,
    S.SPOT_CHECK: TaskKind.SPOT_CHECK,
    S.PROVINCE_AUDIT: TaskKind.PROVINCE_AUDIT,
}
"""The school-level human task each state waits on; leaving the state closes it."""


def find_move(state: S, event: E) -> Move:
    """The move for (state, event), or IllegalTransition naming both."""
    move = TRANSITIONS.get((S(state), E(event)))
    if move is None:
        raise IllegalTransition(str(state), str(event))
    return move


def prepare(ctx: TransitionContext, event: E) -> TransitionContext:
    """Derive what the decision implies before the guards: an application records the review's pass and
    excellent rates against the policy; a county decision under a point table gets its score sheet
    (003 附件1) and total from the expert's item scores and the school's facts."""
    if event in (E.APPLY_FOR_COUNTY_ASSESSMENT, E.FINISH_RECTIFICATION):
        summary = summarise_review([t.result for t in ctx.teachers], ctx.policy)
        return replace(ctx, payload={**ctx.payload, "review_summary": asdict(summary)})
    if event not in (E.PASS_COUNTY_ASSESSMENT, E.FAIL_COUNTY_ASSESSMENT) or ctx.policy.rubric is None:
        return ctx
    if not isinstance(ctx.payload.get("scores"), Mapping):
        raise RuleViolated("rubric_scores", "payload.scores (assessed score per item) is required")
    if ctx.facts is None:
        raise RuleViolated("rubric_scores", "the school's facts were not read")
    self_scores = ctx.payload.get("self_scores")
    sheet = score_sheet(load_rubric(ctx.policy.rubric), ctx.facts, ctx.payload["scores"],
                        self_scores if isinstance(self_scores, Mapping) else None)
    payload = {**ctx.payload, "score": sheet.total, "sheet": sheet.model_dump(mode="json")}
    return replace(ctx, payload=payload)


def decide(ctx: TransitionContext, event: E) -> S:
    """Apply the table and its guards to a context: the next state, or a domain error."""
    move = find_move(ctx.state, event)
    refusals = [(guard.__name__, reason) for guard in move.guards if (reason := guard(ctx)) is not None]
    if refusals:
        raise GuardRejected.of(refusals)
    return move.to


def allowed_events(state: S) -> list[E]:
    """Events the table allows from a state (guards not evaluated)."""
    return [event for (s, event) in TRANSITIONS if s == state]


class Effect(StrEnum):
    """Side work a state asks for on entry, beyond its human task."""

    OPEN_GRADING_TASKS = "open_grading_tasks"
    DRAW_PRESENTERS = "draw_presenters"
    OPEN_PRESENTER_VERIFICATIONS = "open_presenter_verifications"
    CREDIT_TEACHER_HOURS = "credit_teacher_hours"
    HOLD_EVIDENCE = "hold_evidence"
    RELEASE_EVIDENCE = "release_evidence"
    RETAIN_EVIDENCE = "retain_evidence"


EFFECTS_ON_ENTRY: dict[S, tuple[Effect, ...]] = {
    S.SCHOOL_REVIEW: (Effect.OPEN_GRADING_TASKS, Effect.DRAW_PRESENTERS),  # 003: 随机抽取5%左右的老师…说课
    S.COUNTY_ASSESSMENT: (Effect.OPEN_PRESENTER_VERIFICATIONS,),  # 003: …通过查、评、听、问进行验证
    S.LOCKED: (Effect.HOLD_EVIDENCE,),  # 000: 县（市）区测评合格后，所有材料锁定
    S.RECTIFYING: (Effect.RELEASE_EVIDENCE,),  # a recorded rectification decision reopens the school
    S.CERTIFIED: (Effect.CREDIT_TEACHER_HOURS, Effect.RETAIN_EVIDENCE),  # 002/003: …计入学分; archived (policy years)
}

"""The school lifecycle as data: (state, event) → move with named guards, and the tasks each state opens."""
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from models.enums import TERMINAL_STATES, SchoolEvent as E, SchoolState as S, TaskKind
from models.errors import GuardRejected, IllegalTransition
from models.policy import Policy
from models.rules import TeacherStanding, hours_shortfall, pass_rate


@dataclass(frozen=True)
class TransitionContext:
    """Everything a guard may look at: the school's state, the decision payload, policy, teachers."""

    state: S
    payload: Mapping[str, Any]
    policy: Policy
    teachers: tuple[TeacherStanding, ...] = field(default=())


Guard = Callable[[TransitionContext], str | None]
"""A guard returns None to allow the move, or the reason it refuses."""

PLAN_DOCUMENTS = ("development_plan", "research_plan", "assessment_plan", "research_theme")


def plan_is_complete(ctx: TransitionContext) -> str | None:
    """The school files 发展规划, 校本研修方案, 校本应用考核方案 and a 研修主题 (000 学校职责 1)."""
    plan = ctx.payload.get("plan")
    if not isinstance(plan, Mapping):
        return "payload.plan is missing"
    missing = [k for k in PLAN_DOCUMENTS if not str(plan.get(k) or "").strip()]
    return f"plan lacks {', '.join(missing)}" if missing else None


def reason_is_given(ctx: TransitionContext) -> str | None:
    """Every return or failure is a recorded decision with a reason."""
    return None if str(ctx.payload.get("reason") or "").strip() else "a reason is required"


def school_has_teachers(ctx: TransitionContext) -> str | None:
    """A school with no enrolled teachers cannot finish training."""
    return None if ctx.teachers else "the school has no enrolled teachers"


def every_teacher_meets_hours(ctx: TransitionContext) -> str | None:
    """Every teacher has the policy's online and practice hours (000: 25 + 25)."""
    short = [(i, s) for i, t in enumerate(ctx.teachers) if (s := hours_shortfall(t, ctx.policy.hours))]
    if not short:
        return None
    return f"{len(short)} teacher(s) short of hours, first: {short[0][1]}"


def every_teacher_has_result(ctx: TransitionContext) -> str | None:
    """The school applies only 在学校完成全员研修与教师能力点考核后 (000)."""
    ungraded = sum(1 for t in ctx.teachers if t.result is None)
    return f"{ungraded} teacher(s) have no result yet" if ungraded else None


def teacher_pass_rate_met(ctx: TransitionContext) -> str | None:
    """The teachers' pass rate reaches the policy target (003: 合格率 95%以上; 000: 98%以上)."""
    target = ctx.policy.teacher_pass_rate_min
    if target is None:
        return None
    rate = pass_rate(t.result for t in ctx.teachers)
    return None if rate >= target else f"pass rate {rate:.1%} < {target:.0%}"


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
    (S.TRAINING, E.FINISH_TRAINING): Move(S.SCHOOL_REVIEW, (school_has_teachers, every_teacher_meets_hours)),
    (S.SCHOOL_REVIEW, E.APPLY_FOR_COUNTY_ASSESSMENT): Move(
        S.COUNTY_ASSESSMENT, (every_teacher_has_result, teacher_pass_rate_met)
    ),
    (S.COUNTY_ASSESSMENT, E.PASS_COUNTY_ASSESSMENT): Move(S.LOCKED, (county_score_passes,)),
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
    S.PLAN_SUBMITTED: TaskKind.PLAN_REVIEW,
    S.PLAN_RETURNED: TaskKind.PLAN_REVISION,
    S.COUNTY_ASSESSMENT: TaskKind.COUNTY_ASSESSMENT_SCORING,
    S.RECTIFYING: TaskKind.RECTIFICATION,
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


def decide(ctx: TransitionContext, event: E) -> S:
    """Apply the table and its guards to a context: the next state, or a domain error."""
    move = find_move(ctx.state, event)
    for guard in move.guards:
        reason = guard(ctx)
        if reason is not None:
            raise GuardRejected(guard.__name__, reason)
    return move.to


def allowed_events(state: S) -> list[E]:
    """Events the table allows from a state (guards not evaluated)."""
    return [event for (s, event) in TRANSITIONS if s == state]


class Effect(StrEnum):
    """Side work a state asks for on entry, beyond its human task."""

    OPEN_GRADING_TASKS = "open_grading_tasks"
    CREDIT_TEACHER_HOURS = "credit_teacher_hours"


EFFECTS_ON_ENTRY: dict[S, tuple[Effect, ...]] = {
    S.SCHOOL_REVIEW: (Effect.OPEN_GRADING_TASKS,),
    S.CERTIFIED: (Effect.CREDIT_TEACHER_HOURS,),  # 002/003: 经学校考核合格并经主管部门认定…计入学分
}

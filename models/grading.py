"""Item grades to a micro-ability grade, the 互学互评 precondition, and the draw of presenting teachers."""
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.enums import Grade
from models.errors import UnknownItems
from models.policy import Policy
from models.rules import excellent_rate, pass_rate, roll_up
from models.sampling import population_hash


def grade_micro_ability(required_items: Sequence[str], item_grades: Mapping[str, Grade]) -> Grade:
    """优秀 only if every item is 优秀; 不合格 if any is below 合格 or a required item is missing."""
    if any(item not in item_grades for item in required_items):
        return Grade.FAIL
    return roll_up([Grade(item_grades[item]) for item in required_items])


def refuse_unknown_items(micro_ability: str, evidence_items: Sequence[str], item_grades: Mapping[str, object]) -> None:
    """Refuse grades for items the micro-ability does not have: the roll-up would silently drop them."""
    unknown = [name for name in item_grades if name not in evidence_items]
    if unknown:
        raise UnknownItems("items", unknown, f"evidence items of micro-ability {micro_ability}", evidence_items)


def peer_review_shortfall(policy: Policy, reviews_done: int, others_available: int) -> str | None:
    """003 互学互评: 在成果提交前，须对他人提交的成果进行评价 (when a colleague's work exists to review)."""
    if not policy.peer_review_before_submit or others_available == 0 or reviews_done > 0:
        return None
    return "review a colleague's submission before submitting your own (互学互评)"


def peer_reviews_owed_first(policy: Policy, owed: int) -> str | None:
    """003 互学互评 through tasks: a teacher with peer reviews assigned and still open submits once they are done."""
    if not policy.peer_review_before_submit or owed == 0:
        return None
    return f"finish the {owed} peer review(s) assigned to you before submitting your own (互学互评)"


def fairest_reviewer(loads: Sequence[tuple[str, int]]) -> str | None:
    """Whom a new peer review goes to: the colleague with the fewest reviews assigned so far, the first in roster
    order among equals; None when the author has no colleague."""
    return min(loads, key=lambda load: load[1])[0] if loads else None


def presenter_count(teachers: int, ratio: float) -> int:
    """003: 随机抽取5%左右的老师…说课、展示 — at least one, rounded to nearest."""
    return 0 if teachers == 0 else min(teachers, max(1, round(ratio * teachers)))


@dataclass(frozen=True)
class PresenterDraw:
    """Who presents, and what reproduces the draw."""

    seed: int
    population_hash: str
    presenters: tuple[str, ...]


def draw_presenters(teachers: Sequence[str], ratio: float, seed: int) -> PresenterDraw:
    """Draw ~ratio of the teachers (at least one); the same seed and roster give the same draw."""
    ordered = sorted(teachers)
    digest = population_hash(ordered)
    rng = random.Random(f"{seed}:presenters:{digest}")
    return PresenterDraw(seed, digest, tuple(sorted(rng.sample(ordered, presenter_count(len(ordered), ratio)))))


@dataclass(frozen=True)
class ReviewSummary:
    """A school's review results against the policy's targets."""

    teachers: int
    pass_rate: float
    excellent_rate: float
    pass_rate_met: bool
    excellent_rate_met: bool


def summarise_review(results: Sequence[Grade | None], policy: Policy) -> ReviewSummary:
    """Pass and excellent rates (003: 合格率95%以上, 优秀率10%以上) and whether each target is met."""
    passed, excellent = pass_rate(results), excellent_rate(results)
    return ReviewSummary(
        len(results), passed, excellent,
        policy.teacher_pass_rate_min is None or passed >= policy.teacher_pass_rate_min,
        policy.teacher_excellent_rate_min is None or excellent >= policy.teacher_excellent_rate_min,
    )



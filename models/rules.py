"""Pure rules the lifecycle guards call: hours, grade roll-up, pass and excellent rates."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.enums import Grade
from models.policy import HourRules


@dataclass(frozen=True)
class TeacherStanding:
    """What the guards need to know of one teacher: hours and result so far."""

    online_hours: float
    practice_hours: float
    result: Grade | None
    choices: tuple[str, ...] = ()
    peer_reviewed: bool = True
    who: str = ""  # the teacher's username, which a refusal names


def hours_shortfall(standing: TeacherStanding, hours: HourRules) -> str | None:
    """Say what a teacher's hours lack against the policy, or None when they meet it."""
    if standing.online_hours < hours.online_min:
        return f"online {standing.online_hours:g} h < {hours.online_min:g} h"
    if standing.practice_hours < hours.practice_min:
        return f"practice {standing.practice_hours:g} h < {hours.practice_min:g} h"
    total = standing.online_hours + standing.practice_hours
    if total < hours.total_min:
        return f"total {total:g} h < {hours.total_min:g} h"
    return None


def roll_up(grades: Sequence[Grade]) -> Grade:
    """Combine item grades: 优秀 only if all are 优秀, 不合格 if any is 不合格, else 合格."""
    if not grades:
        raise ValueError("cannot roll up an empty list of grades")
    if any(g == Grade.FAIL for g in grades):
        return Grade.FAIL
    if all(g == Grade.EXCELLENT for g in grades):
        return Grade.EXCELLENT
    return Grade.PASS


def pass_rate(results: Iterable[Grade | None]) -> float:
    """Share of teachers whose result is 合格 or 优秀 (ungraded teachers count as not passed)."""
    results = list(results)
    if not results:
        return 0.0
    return sum(1 for r in results if r in (Grade.PASS, Grade.EXCELLENT)) / len(results)


def excellent_rate(results: Iterable[Grade | None]) -> float:
    """Share of teachers whose result is 优秀."""
    results = list(results)
    if not results:
        return 0.0
    return sum(1 for r in results if r == Grade.EXCELLENT) / len(results)


def teacher_result(micro_ability_grades: Sequence[Grade | None], required: int) -> Grade | None:
    """A teacher's result: None until `required` micro-abilities are all graded, then their roll-up."""
    graded = [g for g in micro_ability_grades if g is not None]
    if len(graded) < required or len(graded) < len(micro_ability_grades):
        return None
    return roll_up(graded)

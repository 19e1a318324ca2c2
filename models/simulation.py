"""Simulated people for `tisheng demo`: every decision is drawn from the seed, so runs repeat exactly."""
import random
from collections.abc import Sequence
from dataclasses import dataclass

from models.enums import Grade
from models.policy import Policy


@dataclass(frozen=True)
class TeacherWork:
    """What one simulated teacher did in training: hours and the micro-abilities submitted."""

    teacher_enrolment_id: int
    online_hours: float
    practice_hours: float
    micro_abilities: tuple[str, ...]


class DemoScript:
    """Decides for the simulated school admins, teachers and reviewers of a demo campaign."""

    def __init__(self, seed: int, school_codes: Sequence[str]):
        self.seed = seed
        codes = sorted(school_codes)
        picker = random.Random(f"{seed}:script")
        self.returned_plan_school = picker.choice(codes)
        self.failed_assessment_school = picker.choice(codes)

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def plan(self, school: str) -> dict[str, str]:
        """The school's 发展规划, 研修方案, 考核方案 and 研修主题."""
        theme = self._rng(school, "theme").choice(["技术支持的学情分析", "微课程设计与应用", "智慧课堂互动"])
        return {
            "development_plan": f"{school} 学校信息化教育教学发展规划",
            "research_plan": f"{school} 校本研修方案",
            "assessment_plan": f"{school} 校本应用考核方案",
            "research_theme": theme,
        }

    def returns_plan(self, school: str, attempt: int) -> bool:
        """The county returns the chosen school's first plan."""
        return school == self.returned_plan_school and attempt == 1

    def teacher_work(self, school: str, teachers: Sequence[int], catalog: Sequence[str], policy: Policy) -> list[TeacherWork]:
        """Hours at or above the policy minimum and the policy's number of micro-abilities per teacher."""
        work = []
        for teacher in teachers:
            rng = self._rng(school, "teacher", teacher)
            count = min(policy.micro_abilities_per_teacher_min, len(catalog))
            work.append(TeacherWork(
                teacher, policy.hours.online_min + rng.choice([0, 1, 2, 5]),
                policy.hours.practice_min + rng.choice([0, 1, 3]), tuple(sorted(rng.sample(list(catalog), count))),
            ))
        return work

    def grade(self, school: str, submission_id: int) -> Grade:
        """A grader's grade: about one in five excellent, the rest passed."""
        return Grade.EXCELLENT if self._rng(school, "grade", submission_id).random() < 0.2 else Grade.PASS

    def county_score(self, school: str, attempt: int, pass_score: float | None) -> float:
        """The county's total: the chosen school scores below the mark on its first assessment."""
        mark = pass_score if pass_score is not None else 80
        rng = self._rng(school, "county", attempt)
        if school == self.failed_assessment_school and attempt == 1:
            return float(rng.randint(int(mark) - 15, int(mark) - 1))
        return float(rng.randint(int(mark), 98))

"""Simulated people for `tisheng demo`: every decision is drawn from the seed, so runs repeat exactly."""
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.choices import Ability
from models.enums import Grade
from models.hours import HourKind, HourRecord
from models.plan import PLAN_FILES, ApplicationMode, TeachingEnvironment
from models.policy import Policy
from models.rubric import load_rubric


@dataclass(frozen=True)
class TeacherWork:
    """What one simulated teacher did in training: hour records and the micro-abilities chosen."""

    teacher_enrolment_id: int
    hour_records: tuple[HourRecord, ...]
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

    def school_set(self, school: str, catalog: Mapping[str, Ability]) -> list[str]:
        """9 micro-abilities, 3 from each environment (003: 8-10 spanning all three)."""
        rng = self._rng(school, "set")
        by_env: dict[str, list[str]] = {}
        for code in sorted(catalog):
            by_env.setdefault(catalog[code].environment, []).append(code)
        return sorted(c for env in sorted(by_env) for c in rng.sample(by_env[env], min(3, len(by_env[env]))))

    def plan_document(self, school: str, field: str, attempt: int = 1) -> tuple[str, bytes]:
        """One of the school's plan documents as a small PDF: its file name and bytes (a revision differs)."""
        title = PLAN_FILES[field]
        body = f"{school} {title} 第{attempt}稿 {self._rng(school, field, attempt).random()}".encode()
        return f"{school}-{title}-第{attempt}稿.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\n%%EOF\n"

    def report_document(self, school: str, name: str) -> tuple[str, bytes]:
        """One of the school's reports for its county application, as a small PDF: its file name and bytes."""
        body = f"{school} {name} {self._rng(school, name).random()}".encode()
        return f"{school}-{name}.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\n%%EOF\n"

    def plan(self, school: str, files: Mapping[str, int], catalog: Mapping[str, Ability] | None = None) -> dict:
        """The school's plan: its uploaded documents (evidence id per field), 研修主题, application mode,
        environment and chosen micro-abilities."""
        rng = self._rng(school, "theme")
        plan = {
            **{field: files[field] for field in PLAN_FILES},
            "research_theme": rng.choice(["技术支持的学情分析", "微课程设计与应用", "智慧课堂互动"]),
            "application_mode": rng.choice(list(ApplicationMode)).value,
            "environment": rng.choice(list(TeachingEnvironment)).value,
        }
        if catalog:
            plan["micro_abilities"] = self.school_set(school, catalog)
        return plan

    def returns_plan(self, school: str, attempt: int) -> bool:
        """The county returns the chosen school's first plan."""
        return school == self.returned_plan_school and attempt == 1

    def choices(self, school: str, teacher: int, school_set: Sequence[str], catalog: Mapping[str, Ability],
                policy: Policy) -> tuple[str, ...]:
        """One pick per environment in turn, spanning dimensions, as many as the policy asks."""
        rng = self._rng(school, "choice", teacher)
        pool = sorted(school_set) or sorted(catalog)
        picks: list[str] = []
        for env in "ABC" * 4:
            if len(picks) >= policy.choices.per_teacher_min:
                break
            candidates = [c for c in pool if catalog[c].environment == env and c not in picks
                          and catalog[c].dimension not in {catalog[p].dimension for p in picks}]
            candidates = candidates or [c for c in pool if c not in picks]
            picks.append(rng.choice(candidates))
        return tuple(sorted(picks))

    def hour_records(self, school: str, teacher: int, username: str, policy: Policy) -> tuple[HourRecord, ...]:
        """A platform export for one teacher meeting the policy, with some hours to spare."""
        rng = self._rng(school, "hours", teacher)
        if policy.hours.scheme == "beijing":
            courses = [HourRecord(username, f"专题课程{i}", rng.choice([170, 200, 240]), 240, HourKind.TOPIC_COURSE)
                       for i in range(1, 5)]
            quizzes = [HourRecord(username, c.course, 10, 10, HourKind.QUIZ) for c in courses]
            cases = [HourRecord(username, f"应用案例{i}", rng.choice([110, 150]), 150, HourKind.CASE) for i in (1, 2)]
            school_side = [HourRecord(username, "校本研修", 1200, 1200, HourKind.SCHOOL_TRAINING),
                           HourRecord(username, "校本应用考核", 300, 300, HourKind.SCHOOL_ASSESSMENT)]
            return tuple(courses + quizzes + cases + school_side)
        online = (policy.hours.online_min + rng.choice([0, 1, 2, 5])) * 60
        practice = (policy.hours.practice_min + rng.choice([0, 1, 3])) * 60
        return (HourRecord(username, "网络研修课程", online, online, HourKind.ONLINE),
                HourRecord(username, "校本实践应用", practice, practice, HourKind.PRACTICE))

    def school_work(self, school: str, teachers: Sequence[tuple[int, str]], school_set: Sequence[str],
                    catalog: Mapping[str, Ability], policy: Policy) -> list[TeacherWork]:
        """What each of a school's teachers (enrolment id, username) does in training: hours and choices."""
        return [TeacherWork(teacher, self.hour_records(school, teacher, username, policy),
                            self.choices(school, teacher, school_set, catalog, policy))
                for teacher, username in teachers]

    def item_grades(self, school: str, teacher: int, items: Sequence[str]) -> dict[str, Grade]:
        """A grader's grade per evidence item: about one teacher in five excellent throughout."""
        excellent = self._rng(school, "grade", teacher).random() < 0.2
        return {item: Grade.EXCELLENT if excellent else Grade.PASS for item in items}

    def county_decision(self, school: str, attempt: int, policy: Policy, teachers: int) -> tuple[bool, dict]:
        """Pass or fail, with the expert's item scores; the chosen school falls short on its first try."""
        fails = school == self.failed_assessment_school and attempt == 1
        if policy.rubric is None:
            return (not fails), ({"reason": "校本研修实践活动记录不完整，需整改"} if fails else {"comment": "测评合格"})
        rng = self._rng(school, "county", attempt)
        share = 0.4 if fails else rng.choice([0.85, 0.9, 1.0])
        scores = {item.id: round(item.max * share * 2) / 2 for item in load_rubric(policy.rubric).items if not item.rule}
        payload = {"scores": scores, "works_sent_up": math.ceil(0.1 * teachers) + 1}
        if fails:
            payload["reason"] = "校本研修组织实施记录不完整，需整改"
        else:
            payload["excellent"] = share == 1.0
        return (not fails), payload

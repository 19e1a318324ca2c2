"""Training hours from a platform's records: the plain 25 + 25 rule and Beijing's split (002 附件1)."""
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from models.csv_rows import parse_rows
from models.errors import InvalidRecords
from models.policy import HourRules

HOUR_COLUMNS = ("teacher", "course", "minutes_watched", "course_minutes", "kind")


class HourKind(StrEnum):
    """What a record is: online study, a topic course, its quiz, a case, or school-credited practice."""

    ONLINE = "online"
    TOPIC_COURSE = "topic_course"
    QUIZ = "quiz"
    CASE = "case"
    PRACTICE = "practice"
    SCHOOL_TRAINING = "school_training"
    SCHOOL_ASSESSMENT = "school_assessment"


ONLINE_KINDS = {HourKind.ONLINE, HourKind.TOPIC_COURSE, HourKind.QUIZ, HourKind.CASE}


@dataclass(frozen=True)
class HourRecord:
    """One line of a training platform's export."""

    teacher: str
    course: str
    minutes_watched: float
    course_minutes: float
    kind: HourKind
    line: int = 0

    def watched_enough(self, ratio: float) -> bool:
        """002: 每门课程学习时长不低于总时长的2/3."""
        return self.minutes_watched >= ratio * self.course_minutes - 1e-9


def credited_hours(records: Iterable[HourRecord], rules: HourRules) -> tuple[float, float]:
    """(online, practice) hours one teacher's records earn under the policy."""
    records = list(records)
    if rules.scheme == "beijing":
        return _beijing(records, rules)
    online = sum(min(r.minutes_watched, r.course_minutes) for r in records if r.kind in ONLINE_KINDS) / 60
    practice = sum(min(r.minutes_watched, r.course_minutes) for r in records if r.kind not in ONLINE_KINDS) / 60
    return round(online, 4), round(practice, 4)


def _beijing(records: list[HourRecord], rules: HourRules) -> tuple[float, float]:
    b = rules.beijing
    topics = [r for r in records if r.kind == HourKind.TOPIC_COURSE and r.watched_enough(b.watch_ratio_min)]
    quizzed = {r.course for r in records if r.kind == HourKind.QUIZ and r.minutes_watched > 0}
    topic_hours = sum(r.course_minutes for r in topics) / 60
    topic_done = topic_hours >= b.topic_hours_min - 1e-9 and all(r.course in quizzed for r in topics)
    case_hours = sum(r.course_minutes for r in records
                     if r.kind == HourKind.CASE and r.watched_enough(b.watch_ratio_min)) / 60
    online = (b.topic_with_quiz_hours if topic_done else 0) + (b.case_hours_min if case_hours >= b.case_hours_min - 1e-9 else 0)
    kinds = {r.kind for r in records}
    practice = (b.school_training_hours if HourKind.SCHOOL_TRAINING in kinds else 0) + (
        b.school_assessment_hours if HourKind.SCHOOL_ASSESSMENT in kinds else 0)
    return float(online), float(practice)


def parse_hour_records(text: str, origin: str = "hours") -> list[HourRecord]:
    """Parse a platform export; raise InvalidRecords listing every bad line, accepting none."""
    return parse_rows(text, HOUR_COLUMNS, origin, _record, InvalidRecords)


def _record(row: list[str], line: int) -> HourRecord:
    teacher, course, watched, length, kind = row
    if not teacher or not course:
        raise ValueError("teacher and course are required")
    try:
        minutes_watched, course_minutes = float(watched), float(length)
    except ValueError:
        raise ValueError("minutes_watched and course_minutes must be numbers") from None
    if minutes_watched < 0 or course_minutes <= 0:
        raise ValueError("minutes_watched must be ≥ 0 and course_minutes > 0")
    if kind not in HourKind.__members__.values():
        raise ValueError(f"kind '{kind}' is not one of {', '.join(HourKind)}")
    return HourRecord(teacher, course, minutes_watched, course_minutes, HourKind(kind), line)

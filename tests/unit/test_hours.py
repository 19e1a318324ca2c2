"""Hours from platform records: the plain 25 + 25 and Beijing's split with its 2/3 rule."""
import pytest

from models.errors import InvalidRecords
from models.hours import HourKind as K, HourRecord, credited_hours, parse_hour_records
from models.policy import load_preset

BEIJING = load_preset("beijing-2021").hours
YANZHOU = load_preset("yanzhou-2022").hours


def rec(kind, watched, length, course="c"):
    return HourRecord("t1", course, watched, length, kind)


def topics(minutes_each, watched_each, n=4, quizzes=True):
    courses = [rec(K.TOPIC_COURSE, watched_each, minutes_each, f"topic{i}") for i in range(n)]
    return courses + ([rec(K.QUIZ, 10, 10, f"topic{i}") for i in range(n)] if quizzes else [])


def test_plain_hours_add_minutes_capped_at_course_length():
    records = [rec(K.ONLINE, 1500, 1500), rec(K.PRACTICE, 1600, 1500), rec(K.CASE, 60, 60)]
    assert credited_hours(records, YANZHOU) == (26.0, 25.0)


@pytest.mark.parametrize("watched,credited", [(160, 20), (159.9, 0)])
def test_each_course_needs_two_thirds_watched(watched, credited):
    # 002: 每门课程学习时长不低于总时长的2/3 — 160 of 240 minutes is exactly 2/3
    records = topics(240, 240, n=3) + [rec(K.TOPIC_COURSE, watched, 240, "last"), rec(K.QUIZ, 10, 10, "last")]
    assert credited_hours(records, BEIJING)[0] == credited


def test_topic_courses_need_15_hours_and_every_quiz():
    assert credited_hours(topics(225, 225), BEIJING)[0] == 20          # 4 × 3.75 h = 15 h exactly
    assert credited_hours(topics(224, 224), BEIJING)[0] == 0            # 14.93 h
    assert credited_hours(topics(240, 240, quizzes=False), BEIJING)[0] == 0


def test_beijing_split_adds_up_to_50():
    records = topics(240, 200) + [rec(K.CASE, 100, 150, "case1"), rec(K.CASE, 100, 150, "case2"),
                                  rec(K.SCHOOL_TRAINING, 1, 1), rec(K.SCHOOL_ASSESSMENT, 1, 1)]
    assert credited_hours(records, BEIJING) == (25.0, 25.0)            # 20 + 5 online, 20 + 5 practice
    assert credited_hours(records[:-1], BEIJING) == (25.0, 20.0)       # 校本应用考核 not yet passed


def test_cases_need_five_hours_each_two_thirds_watched():
    assert credited_hours([rec(K.CASE, 100, 150, "a"), rec(K.CASE, 99, 150, "b")], BEIJING)[0] == 0


def test_import_file_reports_every_bad_line_and_keeps_line_numbers():
    good = "teacher,course,minutes_watched,course_minutes,kind\nt1,专题一,200,240,topic_course\n\nt2,案例,60,60,case\n"
    assert [(r.teacher, r.line) for r in parse_hour_records(good)] == [("t1", 2), ("t2", 4)]
    bad = ("teacher,course,minutes_watched,course_minutes,kind\nt1,a,x,240,topic_course\nt1,a,10,240\n"
           "t1,a,-1,240,case\nt1,a,10,240,video\nt1,a,10,240,online\n")
    with pytest.raises(InvalidRecords) as raised:
        parse_hour_records(bad, "export.csv")
    detail = raised.value.detail
    assert detail.startswith("export.csv: line 2:") and all(f"line {n}:" in detail for n in (2, 3, 4, 5))
    assert "line 6" not in detail


def test_wrong_header_is_refused():
    with pytest.raises(InvalidRecords, match="line 1: header"):
        parse_hour_records("teacher,course,minutes\n")

"""Grade roll-up and rates."""
import pytest

from models.enums import Grade as G
from models.rules import excellent_rate, pass_rate, roll_up, teacher_result


@pytest.mark.parametrize("grades,expected", [
    ([G.EXCELLENT, G.EXCELLENT], G.EXCELLENT),
    ([G.EXCELLENT, G.PASS], G.PASS),
    ([G.EXCELLENT, G.FAIL], G.FAIL),
    ([G.PASS], G.PASS),
])
def test_roll_up(grades, expected):
    assert roll_up(grades) == expected


def test_teacher_result_waits_for_every_required_grade():
    assert teacher_result([G.PASS, G.PASS], required=3) is None
    assert teacher_result([G.PASS, G.PASS, None], required=3) is None
    assert teacher_result([G.PASS, G.EXCELLENT, G.PASS], required=3) == G.PASS


def test_rates_count_ungraded_as_not_passed():
    results = [G.PASS, G.EXCELLENT, G.FAIL, None]
    assert pass_rate(results) == 0.5
    assert excellent_rate(results) == 0.25
    assert pass_rate([]) == 0.0


def test_grades_read_back_as_plain_strings_count_the_same():
    # The database returns grades as str, not Grade members: the rules must compare by value.
    assert roll_up(["excellent", "fail"]) == G.FAIL
    assert roll_up(["excellent", "excellent"]) == G.EXCELLENT
    assert excellent_rate(["excellent", "pass", None, "pass"]) == 0.25
    assert pass_rate(["excellent", "pass", "fail", None]) == 0.5

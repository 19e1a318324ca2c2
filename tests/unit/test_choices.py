"""Choice rules of 002 and 003, each refusal naming its rule."""
import pytest

from models.catalog import load_catalog
from models.choices import (
    environment_share_violations, environment_shares, school_set_violations, teacher_choice_violations,
)
from models.policy import load_preset

CATALOG = {e.code: e for e in load_catalog()}
YANZHOU = load_preset("yanzhou-2022").choices
BEIJING = load_preset("beijing-2021").choices


def rules_of(problems):
    return [p.rule for p in problems]


@pytest.mark.parametrize("codes,rules", [
    (("A1", "B2", "C4"), []),
    (("A1", "B2"), ["teacher_choice_count"]),                      # 003: 三项 — 2 is too few
    (("A1", "B2", "C4", "A3"), ["teacher_choice_count"]),
    (("A1", "A1", "B2"), ["teacher_choice_duplicates", "teacher_choice_count"]),
    (("A1", "B2", "Z9"), ["catalog_membership"]),
])
def test_yanzhou_teacher_picks_three(codes, rules):
    assert rules_of(teacher_choice_violations(list(codes), CATALOG, YANZHOU)) == rules


def test_beijing_needs_two_covering_two_dimensions():
    # 002: 至少涵盖2个微能力点…至少覆盖…四个维度中的2个维度
    assert rules_of(teacher_choice_violations(["A1", "A3"], CATALOG, BEIJING)) == []          # 学情分析 + 教学设计
    assert rules_of(teacher_choice_violations(["A2", "A3"], CATALOG, BEIJING)) == ["teacher_dimension_coverage"]
    assert rules_of(teacher_choice_violations(["A1"], CATALOG, BEIJING)) == ["teacher_choice_count", "teacher_dimension_coverage"]


def test_choices_stay_inside_the_school_set():
    problems = teacher_choice_violations(["A1", "B2", "C4"], CATALOG, YANZHOU, school_set=["A1", "B2", "C3"])
    assert rules_of(problems) == ["school_set_membership"] and "C4" in problems[0].detail


@pytest.mark.parametrize("codes,rules", [
    (["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"], []),                       # 8, all three environments
    (["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "C4"], []),           # 10
    (["A1", "A2", "A3", "B1", "B2", "B3", "C1"], ["school_set_size"]),            # 7
    (["A1", "A2", "A3", "A4", "B1", "B2", "B3", "C1", "C2", "C3", "C4"], ["school_set_size"]),  # 11
    (["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"], ["school_set_environments"]),
])
def test_school_set_of_8_to_10_spanning_environments(codes, rules):
    assert rules_of(school_set_violations(codes, CATALOG, YANZHOU)) == rules


def test_environment_shares_at_their_bounds():
    # 003: 多媒体 ≤ 50 %, 混合 ≥ 30 %, 智慧 ≥ 20 % — exactly on each bound is allowed
    at_bounds = [["A1", "B1"], ["A2", "B2"], ["A3", "B3"], ["A4", "C1"], ["A5", "C2"]]   # 5 A, 3 B, 2 C of 10
    assert environment_shares(at_bounds, CATALOG) == {"A": 0.5, "B": 0.3, "C": 0.2}
    assert environment_share_violations(at_bounds, CATALOG, YANZHOU) == []
    too_many_a = at_bounds + [["A6"]]
    messages = [p.detail for p in environment_share_violations(too_many_a, CATALOG, YANZHOU)]
    assert len(messages) == 3 and all(m.startswith("environment_shares") for m in messages)

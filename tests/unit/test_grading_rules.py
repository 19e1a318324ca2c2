"""Item grades, 互学互评, the presenter draw and review rates."""
import pytest

from models.enums import Grade as G
from models.errors import UnknownItems
from models.grading import (
    draw_presenters, grade_micro_ability, peer_review_shortfall, presenter_count, refuse_unknown_items,
    summarise_review,
)
from models.policy import load_preset

YANZHOU = load_preset("yanzhou-2022")
ITEMS = ["学情分析方案", "学情分析报告"]


@pytest.mark.parametrize("grades,expected", [
    ({"学情分析方案": G.EXCELLENT, "学情分析报告": G.EXCELLENT}, G.EXCELLENT),
    ({"学情分析方案": G.EXCELLENT, "学情分析报告": G.PASS}, G.PASS),
    ({"学情分析方案": G.EXCELLENT, "学情分析报告": G.FAIL}, G.FAIL),
    ({"学情分析方案": G.EXCELLENT}, G.FAIL),        # a required item is missing
])
def test_micro_ability_grade_from_items(grades, expected):
    assert grade_micro_ability(ITEMS, grades) == expected


def test_peer_review_before_submitting_under_003_only():
    assert peer_review_shortfall(YANZHOU, reviews_done=0, others_available=2) is not None
    assert peer_review_shortfall(YANZHOU, reviews_done=1, others_available=2) is None
    assert peer_review_shortfall(YANZHOU, reviews_done=0, others_available=0) is None   # nobody to review yet
    assert peer_review_shortfall(load_preset("zhuzhou-2021"), 0, 5) is None


@pytest.mark.parametrize("teachers,count", [(1, 1), (10, 1), (19, 1), (30, 2), (100, 5), (0, 0)])
def test_about_five_percent_present_at_least_one(teachers, count):
    assert presenter_count(teachers, 0.05) == count


def test_presenter_draw_is_reproducible_from_its_seed():
    roster = [f"t{i:03d}" for i in range(60)]
    first = draw_presenters(roster, 0.05, seed=42)
    assert first == draw_presenters(list(reversed(roster)), 0.05, seed=42)
    assert len(first.presenters) == 3 and set(first.presenters) <= set(roster)
    assert {draw_presenters(roster, 0.05, seed=s).presenters for s in range(5)} != {first.presenters}


def test_review_summary_against_003_targets():
    summary = summarise_review([G.EXCELLENT] * 2 + [G.PASS] * 17 + [G.FAIL], YANZHOU)
    assert (summary.pass_rate, summary.excellent_rate) == (0.95, 0.10)
    assert summary.pass_rate_met and summary.excellent_rate_met
    assert not summarise_review([G.PASS] * 18 + [G.FAIL] * 2, YANZHOU).excellent_rate_met


def test_grades_of_the_micro_abilitys_items_are_accepted_even_if_some_are_missing():
    refuse_unknown_items("A1", ITEMS, {"学情分析方案": G.PASS})  # a missing item rolls up to 不合格, visibly


def test_an_item_the_micro_ability_does_not_have_is_refused_by_name():
    with pytest.raises(UnknownItems) as refused:
        refuse_unknown_items("A1", ITEMS, {"学情分析方案": G.PASS, "学情分析报告": G.PASS, "教学反思": G.EXCELLENT,
                                           "学情分析方案 ": G.PASS})
    assert refused.value.status_code == 422 and refused.value.unknown == ["教学反思", "学情分析方案 "]
    assert "'教学反思', '学情分析方案 ' not among the evidence items of micro-ability A1" in refused.value.detail
    assert [e["field"] for e in refused.value.errors] == ["body.items.教学反思", "body.items.学情分析方案 "]

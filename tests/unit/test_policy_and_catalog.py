"""Presets load; malformed policies and catalogs are refused with every problem located."""
import pytest

from models.catalog import load_catalog, parse_catalog
from models.errors import InvalidCatalog, InvalidPolicy
from models.policy import load_preset, parse_policy, preset_names


def test_three_presets_ship():
    assert preset_names() == ["beijing-2021", "yanzhou-2022", "zhuzhou-2021"]
    yanzhou = load_preset("yanzhou-2022")
    assert (yanzhou.teacher_pass_rate_min, yanzhou.school_pass_score, yanzhou.school_excellent_cap) == (0.95, 80, 0.30)
    assert load_preset("zhuzhou-2021").teacher_pass_rate_min == 0.98


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(InvalidPolicy, match="yanzhou-2022"):
        load_preset("nowhere-2020")


def test_bad_policy_reports_each_problem_with_its_path():
    data = load_preset("yanzhou-2022").model_dump(mode="json")
    data["hours"]["online_min"] = -1
    data["spot_check_ratio"] = 2
    with pytest.raises(InvalidPolicy) as raised:
        parse_policy(data)
    assert "hours.online_min" in raised.value.detail and "spot_check_ratio" in raised.value.detail


def test_default_catalog_has_the_domain_shape():
    catalog = load_catalog()
    assert len(catalog) == 30
    assert [sum(e.environment == env for e in catalog) for env in "ABC"] == [13, 10, 7]
    assert {e.code for e in catalog if e.confirmed} == {"A1", "A3", "B2", "B6", "C4"}


def test_bad_catalog_lists_every_bad_line_and_accepts_nothing():
    text = ("# header comment\ncode,name,environment,dimension,evidence_items,confirmed\n"
            "A1,技术支持的学情分析,A,学情分析,方案;报告,yes\n"
            "A2,名,D,学情分析,方案,no\n"
            "A1,重复,A,学情分析,方案,no\n")
    with pytest.raises(InvalidCatalog) as raised:
        parse_catalog(text)
    assert "line 4: environment 'D'" in raised.value.detail
    assert "line 5: duplicate code 'A1'" in raised.value.detail


def test_next_year_moves_every_date_by_a_year_and_a_leap_day_to_the_28th():
    from datetime import date

    from models.policy import Deadlines

    policy = load_preset("yanzhou-2022").model_copy(update={"final_deadline": date(2024, 2, 29)})
    policy = policy.model_copy(update={"deadlines": Deadlines(stages={"training": date(2024, 2, 29)},
                                                              tasks={"spot_check": date(2024, 1, 15)})})
    following = policy.next_year()
    assert following.final_deadline == date(2025, 2, 28)
    assert following.deadlines.stages["training"] == date(2025, 2, 28)
    assert following.deadlines.tasks["spot_check"] == date(2025, 1, 15)
    assert following.model_dump(exclude={"final_deadline", "deadlines"}) == policy.model_dump(
        exclude={"final_deadline", "deadlines"})

"""The closeout's pure rules: figures, roll-up to county, city and province, rates, keys and names."""
import pytest

from models.closeout import (
    ANNEX_HEADERS, CountySummary, Figures, SchoolFigures, SummaryRow, UnitRef, artifact_key, county_sheet_names,
    hour_thresholds, next_campaign_code, percent, rate, refuse_if_closed, report_key, roll_up,
)
from models.enums import UnitLevel
from models.errors import CampaignClosed, DomainError
from models.policy import load_preset

P = UnitRef("P", "山东省")
JN, ZB = UnitRef("P-JN", "济宁市"), UnitRef("P-ZB", "淄博市")
YZ, QF, ZC = UnitRef("P-JN-YZ", "兖州区"), UnitRef("P-JN-QF", "曲阜市"), UnitRef("P-ZB-ZC", "张店区")


def school(code: str, county: UnitRef, city: UnitRef, *counts: int) -> SchoolFigures:
    return SchoolFigures(UnitRef(code, f"{code}学校"), county, city, P, Figures(*counts))


SCHOOLS = [
    school("S3", YZ, JN, 10, 8, 9, 9, 10),
    school("S1", YZ, JN, 20, 19, 20, 19, 20),
    school("S2", QF, JN, 5, 0, 1, 2, 3),
    school("S4", ZC, ZB, 0, 0, 0, 0, 0),
    school("S5", ZC, ZB, 40, 40, 40, 40, 40),
]


def test_rates_are_shares_and_blank_without_teachers():
    assert rate(19, 20) == 0.95 and rate(0, 5) == 0.0 and rate(0, 0) is None
    assert percent(19 / 21) == "90.48%" and percent(1.0) == "100.00%" and percent(None) == ""
    assert Figures(20, 19, 20, 19, 20).annex_values() == (20, 19, 0.95, 20, 1.0, 19, 0.95, 20, 1.0)
    assert Figures().annex_values() == (0, 0, None, 0, None, 0, None, 0, None)
    assert len(ANNEX_HEADERS) == 1 + len(Figures().annex_values())


def test_counts_cannot_exceed_the_teachers():
    with pytest.raises(DomainError):
        Figures(3, 4, 0, 0, 0)
    with pytest.raises(DomainError):
        Figures(3, 0, 0, 0, -1)


def test_roll_up_sums_schools_into_counties_cities_and_the_province():
    summary = roll_up(SCHOOLS)
    assert summary.province == SummaryRow(UnitLevel.PROVINCE, "P", "山东省", None, Figures(75, 67, 70, 70, 73))
    assert [(c.code, c.figures) for c in summary.cities] == [
        ("P-JN", Figures(35, 27, 30, 30, 33)), ("P-ZB", Figures(40, 40, 40, 40, 40))]
    counties = [(c.county.code, c.county.parent, c.county.figures, [s.code for s in c.schools]) for c in summary.counties]
    assert counties == [
        ("P-JN-QF", "P-JN", Figures(5, 0, 1, 2, 3), ["S2"]),
        ("P-JN-YZ", "P-JN", Figures(30, 27, 29, 28, 30), ["S1", "S3"]),
        ("P-ZB-ZC", "P-ZB", Figures(40, 40, 40, 40, 40), ["S4", "S5"])]
    assert summary.levels == {UnitLevel.PROVINCE: 1, UnitLevel.CITY: 2, UnitLevel.COUNTY: 3, UnitLevel.SCHOOL: 5}
    # the province's pass rate is pooled over teachers, not an average of the cities' rates
    assert rate(summary.province.figures.passed, summary.province.figures.teachers) == 67 / 75


def test_rows_list_the_tree_top_down():
    assert [(r.level.value, r.code) for r in roll_up(SCHOOLS).rows()] == [
        ("province", "P"), ("city", "P-JN"), ("county", "P-JN-QF"), ("school", "S2"), ("county", "P-JN-YZ"),
        ("school", "S1"), ("school", "S3"), ("city", "P-ZB"), ("county", "P-ZB-ZC"), ("school", "S4"),
        ("school", "S5")]


def test_roll_up_is_independent_of_input_order():
    assert roll_up(SCHOOLS) == roll_up(list(reversed(SCHOOLS)))


def test_an_empty_campaign_rolls_up_to_zeros_and_several_provinces_are_refused():
    empty = roll_up([])
    assert empty.province.figures == Figures() and empty.counties == ()
    other = SchoolFigures(UnitRef("X", "x"), YZ, JN, UnitRef("Q", "河北省"), Figures(1, 1, 1, 1, 1))
    with pytest.raises(DomainError):
        roll_up([*SCHOOLS, other])


def test_hour_thresholds_come_from_the_policy():
    t = hour_thresholds(load_preset("yanzhou-2022").hours)
    assert (t.online_min, t.practice_min, t.total_min) == (25, 25, 50)


def test_keys_names_and_the_next_campaign():
    assert artifact_key("closeout", "Demo_2022", "DEMO-C1-X1") == "closeout-demo-2022-demo-c1-x1"
    assert artifact_key("closeout", "兖州--X") == "closeout-x"
    assert report_key("c2022", "summary.csv") == "c2022/closeout/summary.csv"
    assert next_campaign_code("c2022") == "c2022-next" and next_campaign_code("c2022", "c2023") == "c2023"
    for bad in ("c2022", "x" * 65, "  "):
        with pytest.raises(DomainError):
            next_campaign_code("c2022", bad)


def test_county_sheet_names_are_unique_short_and_legal():
    def county(code, name):
        return CountySummary(SummaryRow(UnitLevel.COUNTY, code, name, "C", Figures()), ())

    names = county_sheet_names([county("A", "市中区"), county("B", "市中区"), county("C", "汇总"),
                                county("D", "a/b:c" + "长" * 40)], reserved=["汇总"])
    assert names[:3] == ["市中区", "市中区(2)", "汇总(2)"]
    assert len(names[3]) <= 31 and not set("[]:*?/\\") & set(names[3])


def test_a_closed_campaign_refuses_writes():
    refuse_if_closed("c2022", "open", None)
    with pytest.raises(CampaignClosed) as caught:
        refuse_if_closed("c2022", "closed", "2022-12-31 15:00:00+00:00")
    assert caught.value.status_code == 409 and "c2022" in caught.value.detail


def test_every_live_state_closes_out_to_incomplete_and_end_states_refuse():
    from models.closeout import closed_out_state
    from models.enums import TERMINAL_STATES, SchoolState
    from models.errors import IllegalTransition

    for state in SchoolState:
        if state in TERMINAL_STATES:
            with pytest.raises(IllegalTransition):
                closed_out_state(state)
        else:
            assert closed_out_state(state) == SchoolState.INCOMPLETE


def test_rows_within_a_unit_are_the_unit_and_everything_under_it_in_order():
    from models.closeout import Figures, SchoolFigures, UnitRef, roll_up, rows_within

    p, c1, c2 = UnitRef("P", "省"), UnitRef("C1", "一市"), UnitRef("C2", "二市")
    xa, xb, xc = UnitRef("XA", "甲县"), UnitRef("XB", "乙县"), UnitRef("XC", "丙县")
    schools = [SchoolFigures(UnitRef(code, code), county, city, p, Figures(1, 1, 1, 1, 1))
               for code, county, city in (("S1", xa, c1), ("S2", xb, c1), ("S3", xc, c2), ("S4", xa, c1))]
    summary = roll_up(schools)
    assert [r.code for r in rows_within(summary, "C1")] == ["C1", "XA", "S1", "S4", "XB", "S2"]
    assert [r.code for r in rows_within(summary, "XA")] == ["XA", "S1", "S4"]
    assert [r.code for r in rows_within(summary, "S3")] == ["S3"]
    assert len(rows_within(summary, "P")) == 10 and rows_within(summary, "ELSEWHERE") == []
    assert rows_within(summary, "C1")[0].figures == Figures(3, 3, 3, 3, 3)

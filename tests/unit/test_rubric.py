"""The 100-point table of 003 附件1: a golden school scored by hand and by code, and its boundaries."""
import dataclasses

import pytest

from models.enums import SchoolEvent as E, SchoolState as S
from models.errors import GuardRejected, RuleViolated, UnknownItems
from models.lifecycle import TransitionContext, decide, prepare
from models.policy import load_preset
from models.rubric import SchoolFacts, excellent_cap, load_rubric, refuse_unknown_scores, score_sheet

RUBRIC = load_rubric("yanzhou-2022-annex1")
# The golden school: 40 teachers, 38 passed (95 %), 4 excellent (10 %), every hour and choice rule met,
# 4 works sent up (10 % of 40).
FACTS = SchoolFacts(teachers=40, pass_rate=0.95, excellent_rate=0.10, all_online_hours_met=True,
                    all_practice_hours_met=True, school_set_valid=True, environment_shares_met=True,
                    peer_review_done=True, works_sent_up=4)
EXPERT = {"management_team": 1, "teaching_status": 1, "development_plan": 1.5, "rules_and_systems": 2,
          "environment_category": 1, "activity_design": 2, "assessment_design": 1.5, "content_training": 4,
          "help_measures": 4, "incentives": 5, "self_test": 2, "demonstration": 4, "innovation": 3, "research": 2}


def test_table_is_100_points_in_8_sections():
    assert [s.points for s in RUBRIC.sections] == [6, 6, 45, 25, 5, 5, 4, 4]
    assert sum(i.max for i in RUBRIC.items) == 100 and RUBRIC.pass_score == 80


def test_golden_school_by_hand_and_by_code():
    # By hand: computed items 1 (内容选择) + 5 (比例) + 5 (线上) + 20 (线下) + 1 (互评) + 15 (合格率) + 7 (优秀率)
    # + 4 (资源) = 58; expert items 1+1+1.5+2+1+2+1.5+4+4+5+2+4+3+2 = 34; total 92 → 合格.
    sheet = score_sheet(RUBRIC, FACTS, EXPERT, self_scores={"management_team": 1, "innovation": 5})
    assert sheet.total == 92 and sheet.passed
    assert sum(line.assessed_score for line in sheet.lines if line.computed) == 58
    assert sheet.self_total == 6


def test_94_9_percent_loses_the_15_points():
    sheet = score_sheet(RUBRIC, dataclasses.replace(FACTS, pass_rate=0.949), EXPERT)
    assert sheet.total == 77 and not sheet.passed


def test_works_sent_up_need_ten_percent_of_teachers():
    assert score_sheet(RUBRIC, dataclasses.replace(FACTS, works_sent_up=3), EXPERT).total == 88


@pytest.mark.parametrize("research,total,passed", [(0, 80, True), (0, 79.5, False)])
def test_80_passes_and_79_5_does_not(research, total, passed):
    expert = {k: 0 for k in EXPERT} | {"development_plan": 2, "rules_and_systems": 2, "content_training": 5,
                                       "help_measures": 5, "incentives": 5, "demonstration": 3}
    expert["demonstration"] = 3 if passed else 2.5
    sheet = score_sheet(RUBRIC, FACTS, expert)
    assert (sheet.total, sheet.passed) == (total, passed)


def test_bad_scores_are_refused_naming_each_item():
    with pytest.raises(RuleViolated) as raised:
        score_sheet(RUBRIC, FACTS, {**EXPERT, "incentives": 6, "pass_rate": 15, "bogus": 1})
    detail = raised.value.detail
    assert "'incentives' score 6" in detail and "'pass_rate' is computed" in detail and "'bogus'" in detail
    with pytest.raises(RuleViolated, match="'research'"):
        score_sheet(RUBRIC, FACTS, {k: v for k, v in EXPERT.items() if k != "research"})


@pytest.mark.parametrize("schools,cap", [(3, 0), (4, 1), (5, 1), (10, 3), (20, 6)])
def test_excellent_within_30_percent(schools, cap):
    assert excellent_cap(schools, 0.30) == cap


def test_county_decision_is_scored_before_its_guard():
    context = TransitionContext(S.COUNTY_ASSESSMENT, {"scores": EXPERT}, load_preset("yanzhou-2022"), facts=FACTS)
    prepared = prepare(context, E.PASS_COUNTY_ASSESSMENT)
    assert prepared.payload["score"] == 92 and prepared.payload["sheet"]["passed"]
    assert decide(prepared, E.PASS_COUNTY_ASSESSMENT) == S.LOCKED
    failing = prepare(dataclasses.replace(context, payload={"scores": EXPERT, "reason": "x"},
                                          facts=dataclasses.replace(FACTS, pass_rate=0.5)), E.FAIL_COUNTY_ASSESSMENT)
    assert decide(failing, E.FAIL_COUNTY_ASSESSMENT) == S.RECTIFYING
    with pytest.raises(GuardRejected, match="score 92 reaches the pass mark 80"):
        decide(prepare(dataclasses.replace(context, payload={"scores": EXPERT, "reason": "x"}),
                       E.FAIL_COUNTY_ASSESSMENT), E.FAIL_COUNTY_ASSESSMENT)
    with pytest.raises(RuleViolated, match="payload.scores"):
        prepare(dataclasses.replace(context, payload={"score": 95}), E.PASS_COUNTY_ASSESSMENT)


def test_scores_off_the_table_are_refused_by_name_before_any_sheet_is_made():
    refuse_unknown_scores(RUBRIC, "scores", EXPERT)
    with pytest.raises(UnknownItems, match="self_scores: 'teamwork' not among the items of rubric yanzhou-2022-annex1"):
        refuse_unknown_scores(RUBRIC, "self_scores", {**EXPERT, "teamwork": 1})

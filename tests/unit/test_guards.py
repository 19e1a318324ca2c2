"""Guards at their boundaries, through decide() so the table and the guards are tested together."""
import pytest

from models.enums import Grade, SchoolEvent as E, SchoolState as S
from models.errors import GuardRejected
from models.catalog import load_catalog
from models.lifecycle import TransitionContext, decide
from models.policy import load_preset
from models.rules import TeacherStanding

YANZHOU = load_preset("yanzhou-2022")
ZHUZHOU = load_preset("zhuzhou-2021")
CATALOG = {e.code: e for e in load_catalog()}
SCHOOL_SET = ["A1", "A3", "A5", "B2", "B4", "B6", "C3", "C4", "C5"]
PLAN = {"development_plan": 11, "research_plan": 12, "assessment_plan": 13, "research_theme": "主题",
        "application_mode": "智慧教育", "environment": "智慧", "micro_abilities": SCHOOL_SET}
PLAN_FILES = frozenset({11, 12, 13, 14})  # the school's uploaded plan files
REPORTS = {"应用考核表": 21, "工作总结": 22, "情况汇总表": 23}  # 003's reports, attached to an application


def ctx(state, payload=None, teachers=(), policy=YANZHOU, plan_files=PLAN_FILES):
    if payload is None and state is S.SCHOOL_REVIEW:
        payload = {"reports": REPORTS}
    return TransitionContext(state, payload or {}, policy, tuple(teachers), CATALOG, tuple(SCHOOL_SET),
                             plan_files=plan_files, report_files=frozenset(REPORTS.values()))


def refusal(context, event) -> str:
    with pytest.raises(GuardRejected) as raised:
        decide(context, event)
    return raised.value.reason


def trained(online=25.0, practice=25.0, result=None, choices=("A1", "B2", "C4")):
    return TeacherStanding(online, practice, result, tuple(choices))


def graded(passed: int, failed: int):
    return [trained(result=Grade.PASS)] * passed + [trained(result=Grade.FAIL)] * failed


def rejected_by(context, event) -> str:
    with pytest.raises(GuardRejected) as raised:
        decide(context, event)
    return raised.value.guard


def test_plan_needs_its_three_files_theme_mode_and_environment():
    assert decide(ctx(S.PLAN_DRAFTING, {"plan": PLAN}), E.SUBMIT_PLAN) == S.PLAN_SUBMITTED
    assert decide(ctx(S.PLAN_RETURNED, {"plan": {**PLAN, "research_plan": 14}}), E.SUBMIT_PLAN) == S.PLAN_SUBMITTED
    assert rejected_by(ctx(S.PLAN_DRAFTING, {"plan": {**PLAN, "research_theme": "  "}}), E.SUBMIT_PLAN) == "plan_is_complete"
    assert refusal(ctx(S.PLAN_RETURNED, {}), E.SUBMIT_PLAN) == "payload.plan is missing"


def test_a_plan_refusal_names_every_missing_or_invalid_part_at_once():
    bad = {"development_plan": 99, "research_plan": 12, "assessment_plan": 12, "research_theme": "",
           "application_mode": "远程", "micro_abilities": SCHOOL_SET[:7]}
    assert refusal(ctx(S.PLAN_DRAFTING, {"plan": bad}), E.SUBMIT_PLAN) == "; ".join([
        "development_plan (学校信息化教育教学发展规划): evidence 99 is not a plan file uploaded for this school",
        "assessment_plan names the same file as research_plan",
        "research_theme (研修主题) is missing",
        "application_mode '远程' is not one of 智慧教育 / 轻、新技术融合",
        "environment is missing (one of 多媒体 / 混合 / 智慧)",
        "school_set_size: 7 micro-abilities chosen; at least 8 needed"])
    text = {**PLAN, "development_plan": "规划全文", "research_plan": True}
    assert refusal(ctx(S.PLAN_DRAFTING, {"plan": text}), E.SUBMIT_PLAN).split("; ") == [
        "development_plan (学校信息化教育教学发展规划) must be the id of an uploaded plan file, not str",
        "research_plan (校本研修方案) must be the id of an uploaded plan file, not bool"]


def test_another_schools_plan_file_is_not_this_schools():
    assert "evidence 11 is not a plan file" in refusal(
        ctx(S.PLAN_DRAFTING, {"plan": PLAN}, plan_files=frozenset({12, 13})), E.SUBMIT_PLAN)


@pytest.mark.parametrize("event,state", [(E.RETURN_PLAN, S.PLAN_SUBMITTED), (E.FAIL_SPOT_CHECK, S.SPOT_CHECK),
                                         (E.RETURN_BY_PROVINCE, S.PROVINCE_AUDIT)])
def test_returns_need_a_reason(event, state):
    assert rejected_by(ctx(state, {"reason": " "}), event) == "reason_is_given"
    assert decide(ctx(state, {"reason": "材料不全"}), event) in (S.PLAN_RETURNED, S.RECTIFYING)


@pytest.mark.parametrize("online,practice,allowed", [
    (25, 25, True), (24.9, 25, False), (25, 24.9, False), (30, 20, False),
])
def test_training_hours_boundary(online, practice, allowed):
    context = ctx(S.TRAINING, teachers=[trained(), trained(online, practice)])
    if allowed:
        assert decide(context, E.FINISH_TRAINING) == S.SCHOOL_REVIEW
    else:
        assert rejected_by(context, E.FINISH_TRAINING) == "every_teacher_meets_hours"


def test_training_needs_teachers():
    assert rejected_by(ctx(S.TRAINING), E.FINISH_TRAINING) == "school_has_teachers"


def test_pass_rate_95_percent_is_enough_and_94_9_is_not():
    # 003: 教师微能力合格率 95%以上
    assert decide(ctx(S.SCHOOL_REVIEW, teachers=graded(950, 50)), E.APPLY_FOR_COUNTY_ASSESSMENT) == S.COUNTY_ASSESSMENT
    assert rejected_by(ctx(S.SCHOOL_REVIEW, teachers=graded(949, 51)), E.APPLY_FOR_COUNTY_ASSESSMENT) == "teacher_pass_rate_met"


def test_zhuzhou_needs_98_percent():
    # 000: 教师应用考核的合格率98%以上
    assert rejected_by(ctx(S.SCHOOL_REVIEW, teachers=graded(97, 3), policy=ZHUZHOU), E.APPLY_FOR_COUNTY_ASSESSMENT)
    assert decide(ctx(S.SCHOOL_REVIEW, teachers=graded(98, 2), policy=ZHUZHOU), E.APPLY_FOR_COUNTY_ASSESSMENT)


def test_school_review_needs_every_result():
    teachers = graded(10, 0) + [trained()]
    assert rejected_by(ctx(S.SCHOOL_REVIEW, teachers=teachers), E.APPLY_FOR_COUNTY_ASSESSMENT) == "every_teacher_has_result"


def test_county_score_80_passes_and_79_5_does_not():
    # 003: 得分80分及以上为合格等次
    assert decide(ctx(S.COUNTY_ASSESSMENT, {"score": 80}), E.PASS_COUNTY_ASSESSMENT) == S.LOCKED
    assert rejected_by(ctx(S.COUNTY_ASSESSMENT, {"score": 79.5}), E.PASS_COUNTY_ASSESSMENT) == "county_score_passes"
    assert rejected_by(ctx(S.COUNTY_ASSESSMENT, {"score": "85"}), E.PASS_COUNTY_ASSESSMENT) == "county_score_passes"


def test_county_fail_needs_a_score_below_the_mark():
    assert decide(ctx(S.COUNTY_ASSESSMENT, {"score": 79.5, "reason": "不足"}), E.FAIL_COUNTY_ASSESSMENT) == S.RECTIFYING
    assert rejected_by(ctx(S.COUNTY_ASSESSMENT, {"score": 80, "reason": "不足"}), E.FAIL_COUNTY_ASSESSMENT) == "county_score_fails"


def test_policy_without_point_table_needs_no_score():
    assert decide(ctx(S.COUNTY_ASSESSMENT, {}, policy=ZHUZHOU), E.PASS_COUNTY_ASSESSMENT) == S.LOCKED


def test_sampling_decision_carries_its_seed_and_population():
    assert rejected_by(ctx(S.LOCKED, {"sample_seed": 1}), E.SKIP_SPOT_CHECK) == "sample_is_recorded"
    assert decide(ctx(S.LOCKED, {"sample_seed": 0, "population_hash": "ab"}), E.SAMPLE_FOR_SPOT_CHECK) == S.SPOT_CHECK


def test_yanzhou_plan_needs_8_to_10_micro_abilities_spanning_three_environments():
    # 003: 选取 8-10 项微能力…涵盖多媒体教学环境、混合学习环境、智慧学习环境
    seven = {**PLAN, "micro_abilities": SCHOOL_SET[:7]}
    no_smart = {**PLAN, "micro_abilities": ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]}
    assert rejected_by(ctx(S.PLAN_DRAFTING, {"plan": seven}), E.SUBMIT_PLAN) == "plan_is_complete"
    assert rejected_by(ctx(S.PLAN_DRAFTING, {"plan": no_smart}), E.SUBMIT_PLAN) == "plan_is_complete"
    without_set = {k: v for k, v in PLAN.items() if k != "micro_abilities"}
    assert rejected_by(ctx(S.PLAN_DRAFTING, {"plan": without_set}), E.SUBMIT_PLAN) == "plan_is_complete"
    assert decide(ctx(S.PLAN_DRAFTING, {"plan": without_set}, policy=ZHUZHOU), E.SUBMIT_PLAN) == S.PLAN_SUBMITTED


def test_training_needs_three_micro_abilities_from_the_school_set():
    # 003: 指导教师选择三项微能力
    two = ctx(S.TRAINING, teachers=[trained(), trained(choices=("A1", "B2"))])
    assert rejected_by(two, E.FINISH_TRAINING) == "every_teacher_chose_validly"
    outside = ctx(S.TRAINING, teachers=[trained(choices=("A1", "B2", "C7"))])
    assert rejected_by(outside, E.FINISH_TRAINING) == "every_teacher_chose_validly"
    assert decide(ctx(S.TRAINING, teachers=[trained()]), E.FINISH_TRAINING) == S.SCHOOL_REVIEW


def test_finishing_training_names_every_blocking_teacher_under_every_failing_guard():
    teachers = [TeacherStanding(25, 25, None, ("A1", "B2", "C4"), who="t001"),
                TeacherStanding(10, 25, None, ("A1", "B2", "C4"), who="t002"),
                TeacherStanding(25, 20, None, ("A1", "A1"), who="t003")]
    with pytest.raises(GuardRejected) as raised:
        decide(ctx(S.TRAINING, teachers=teachers), E.FINISH_TRAINING)
    errors = {e["field"]: e["message"] for e in raised.value.errors}
    assert list(errors) == ["every_teacher_meets_hours", "every_teacher_chose_validly"]
    assert errors["every_teacher_meets_hours"] == "2 of 3 teacher(s) short of hours: t002: online 10 h < 25 h; " \
                                                  "t003: practice 20 h < 25 h"
    assert errors["every_teacher_chose_validly"].startswith("1 of 3 teacher(s) chose invalidly: t003: ")
    assert "every_teacher_chose_validly" in raised.value.detail and "t002" in raised.value.detail


def test_the_application_names_every_teacher_without_a_result():
    teachers = [TeacherStanding(25, 25, Grade.PASS, who="t001"), TeacherStanding(25, 25, None, who="t002"),
                TeacherStanding(25, 25, None, who="t003")]
    assert refusal(ctx(S.SCHOOL_REVIEW, teachers=teachers), E.APPLY_FOR_COUNTY_ASSESSMENT) == \
        "2 of 3 teacher(s) have no result yet: t002, t003"


def test_a_003_application_attaches_each_report_as_the_schools_file():
    passed = graded(20, 0)
    assert decide(ctx(S.SCHOOL_REVIEW, teachers=passed), E.APPLY_FOR_COUNTY_ASSESSMENT) == S.COUNTY_ASSESSMENT
    lacking = {"reports": {"应用考核表": 21, "工作总结": 99}}
    assert refusal(ctx(S.SCHOOL_REVIEW, lacking, teachers=passed), E.APPLY_FOR_COUNTY_ASSESSMENT) == (
        "report '工作总结': evidence 99 is not a report uploaded for this school; report '情况汇总表' is not attached")
    assert decide(ctx(S.SCHOOL_REVIEW, {}, teachers=passed, policy=ZHUZHOU), E.APPLY_FOR_COUNTY_ASSESSMENT)


def test_a_003_pass_waits_for_every_presenter_to_be_confirmed():
    passing = {"scores": {}, "score": 85}
    checks = (("t001", "confirmed"), ("t002", None), ("t003", "doubtful"))
    context = TransitionContext(S.COUNTY_ASSESSMENT, passing, YANZHOU.model_copy(update={"rubric": None}),
                                presenter_checks=checks)
    with pytest.raises(GuardRejected) as raised:
        decide(context, E.PASS_COUNTY_ASSESSMENT)
    assert raised.value.reason == "presenters not confirmed: t002: verification still open; t003: doubtful"
    confirmed = TransitionContext(S.COUNTY_ASSESSMENT, passing, YANZHOU.model_copy(update={"rubric": None}),
                                  presenter_checks=(("t001", "confirmed"),))
    assert decide(confirmed, E.PASS_COUNTY_ASSESSMENT) == S.LOCKED
    unchecked = TransitionContext(S.COUNTY_ASSESSMENT, {}, ZHUZHOU, presenter_checks=checks)
    assert decide(unchecked, E.PASS_COUNTY_ASSESSMENT) == S.LOCKED  # 000 asks no verification

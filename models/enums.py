"""Enumerations of the domain: unit levels, roles, grades, lifecycle states and events."""
from enum import StrEnum


class UnitLevel(StrEnum):
    PROVINCE = "province"  # 省
    CITY = "city"  # 市
    COUNTY = "county"  # 县（市）区
    SCHOOL = "school"  # 学校


class Role(StrEnum):
    TEACHER = "teacher"  # 教师
    GROUP_LEADER = "group_leader"  # 教研组长
    SCHOOL_ADMIN = "school_admin"  # 学校管理团队
    COUNTY_OFFICE = "county_office"  # 县级工程办
    COUNTY_EXPERT = "county_expert"  # 县考核专家
    CITY_OFFICE = "city_office"  # 市工程办
    CITY_EXPERT = "city_expert"  # 市抽查专家
    PROVINCE_AUDITOR = "province_auditor"  # 省级审核


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    PASS = "pass"  # 合格
    FAIL = "fail"  # 不合格


class SchoolState(StrEnum):
    PLAN_DRAFTING = "plan_drafting"  # 规划编制
    PLAN_SUBMITTED = "plan_submitted"  # 规划待备案
    PLAN_RETURNED = "plan_returned"  # 规划退回修改
    TRAINING = "training"  # 全员研修
    SCHOOL_REVIEW = "school_review"  # 本校审查 / 校本应用考核
    COUNTY_ASSESSMENT = "county_assessment"  # 县（市）区考核
    RECTIFYING = "rectifying"  # 整改
    LOCKED = "locked"  # 材料锁定，等待市级抽查
    SPOT_CHECK = "spot_check"  # 市级抽查
    PROVINCE_AUDIT = "province_audit"  # 省级审核
    CERTIFIED = "certified"  # 整校通过
    INCOMPLETE = "incomplete"  # 年终未完成


TERMINAL_STATES = frozenset({SchoolState.CERTIFIED, SchoolState.INCOMPLETE})


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # 年终结束: frozen by the year-end closeout


class SchoolEvent(StrEnum):
    SUBMIT_PLAN = "submit_plan"
    FILE_PLAN = "file_plan"
    RETURN_PLAN = "return_plan"
    FINISH_TRAINING = "finish_training"
    APPLY_FOR_COUNTY_ASSESSMENT = "apply_for_county_assessment"
    PASS_COUNTY_ASSESSMENT = "pass_county_assessment"
    FAIL_COUNTY_ASSESSMENT = "fail_county_assessment"
    FINISH_RECTIFICATION = "finish_rectification"
    SAMPLE_FOR_SPOT_CHECK = "sample_for_spot_check"
    SKIP_SPOT_CHECK = "skip_spot_check"
    PASS_SPOT_CHECK = "pass_spot_check"
    FAIL_SPOT_CHECK = "fail_spot_check"
    ACCEPT_BY_PROVINCE = "accept_by_province"
    RETURN_BY_PROVINCE = "return_by_province"
    CLOSE_OUT = "close_out"


class TaskKind(StrEnum):
    PLAN_SUBMISSION = "plan_submission"  # 规划提交: the school's first filing
    PLAN_REVIEW = "plan_review"
    PLAN_REVISION = "plan_revision"
    TRAINING_COMPLETION = "training_completion"  # the school admin declares the school's training done
    SUBMISSION_GRADING = "submission_grading"
    PEER_REVIEW = "peer_review"  # 互学互评 (003): a teacher reviews a colleague's submission
    GRADE_CONFIRMATION = "grade_confirmation"  # 学校评审: the school confirms (or changes) the group leader's grade
    COUNTY_APPLICATION = "county_application"  # the school admin applies for the county's assessment
    COUNTY_ASSESSMENT_SCORING = "county_assessment_scoring"
    PRESENTER_VERIFICATION = "presenter_verification"  # 003 查、评、听、问: the county expert verifies a drawn presenter
    RECTIFICATION = "rectification"
    SPOT_CHECK_DRAW = "spot_check_draw"  # a locked school waits for the office's draw (POST /campaigns/{c}/spot-check-draws)
    SPOT_CHECK = "spot_check"
    PROVINCE_AUDIT = "province_audit"


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"
    PROPOSED = "proposed"  # the group leader's grade, awaiting the school's confirmation (two-level review)
    GRADED = "graded"
    WITHDRAWN = "withdrawn"

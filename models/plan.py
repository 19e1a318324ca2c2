"""A school's plan as the documents ask for it: three files (000 学校职责 1), a 研修主题, the application mode
(000), the school's teaching environment and its chosen micro-abilities (003) — and every way a plan falls short."""
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from models.choices import Ability, school_set_violations
from models.policy import ChoiceRules
from models.text import has_visible_text

PLAN_FILES: dict[str, str] = {
    "development_plan": "学校信息化教育教学发展规划",
    "research_plan": "校本研修方案",
    "assessment_plan": "校本应用考核方案",
}
"""The plan's documents (000 学校职责 1), each an uploaded evidence file of item `plan`, by field and title."""

PLAN_ITEM = "plan"
REPORT_ITEM = "report"  # the evidence item of a school's reports (003: 《应用考核表》, 工作总结, 《情况汇总表》)
"""The evidence item a plan's documents are uploaded as."""


class ApplicationMode(StrEnum):
    """The application mode a school chooses for its teachers (000 三(二))."""

    SMART_EDUCATION = "智慧教育"
    LIGHT_NEW_TECH = "轻、新技术融合"


class TeachingEnvironment(StrEnum):
    """The school's teaching environment (003: 多媒体教学环境 / 混合学习环境 / 智慧学习环境)."""

    MULTIMEDIA = "多媒体"
    HYBRID = "混合"
    SMART = "智慧"


def _file_problems(plan: Mapping[str, Any], plan_files: Collection[int]) -> list[str]:
    problems, seen = [], {}
    for field, title in PLAN_FILES.items():
        value = plan.get(field)
        if value is None:
            problems.append(f"{field} ({title}) is missing")
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{field} ({title}) must be the id of an uploaded plan file, not {type(value).__name__}")
        elif value not in plan_files:
            problems.append(f"{field} ({title}): evidence {value} is not a plan file uploaded for this school")
        elif value in seen:
            problems.append(f"{field} names the same file as {seen[value]}")
        else:
            seen[value] = field
    return problems


def _choice_problem(plan: Mapping[str, Any], field: str, allowed: type[StrEnum]) -> list[str]:
    value = plan.get(field)
    if value in set(allowed):
        return []
    choices = " / ".join(allowed)
    return [f"{field} is missing (one of {choices})" if value is None else f"{field} '{value}' is not one of {choices}"]


def plan_problems(plan: Any, plan_files: Collection[int], catalog: Mapping[str, Ability],
                  rules: ChoiceRules) -> list[str]:
    """Every missing or invalid part of a plan, in the plan's order ([] when it may be filed)."""
    if not isinstance(plan, Mapping):
        return ["payload.plan is missing"]
    problems = _file_problems(plan, plan_files)
    if not has_visible_text(str(plan.get("research_theme") or "")):
        problems.append("research_theme (研修主题) is missing")
    problems += _choice_problem(plan, "application_mode", ApplicationMode)
    problems += _choice_problem(plan, "environment", TeachingEnvironment)
    codes = plan.get("micro_abilities")
    if codes is None:
        if rules.school_set_min is not None or rules.school_set_all_environments:
            problems.append("micro_abilities (the school's chosen set) is required")
    else:
        problems += [p.detail for p in school_set_violations(list(codes), catalog, rules)]
    return problems


def plan_file_ids(plan: Mapping[str, Any] | None) -> dict[str, int]:
    """The evidence ids a stored plan names, by field (a plan filed before documents were files names none)."""
    plan = plan or {}
    return {f: plan[f] for f in PLAN_FILES if isinstance(plan.get(f), int) and not isinstance(plan.get(f), bool)}

"""Micro-ability choices: the school's set, each teacher's picks, and the school's environment shares."""
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from models.catalog import ENVIRONMENTS
from models.errors import RuleViolated
from models.policy import ChoiceRules


class Ability(Protocol):
    """What the rules need of a catalog entry."""

    environment: str
    dimension: str


def school_set_violations(codes: Sequence[str], catalog: Mapping[str, Ability], rules: ChoiceRules) -> list[RuleViolated]:
    """003: 从…规范中选取 8-10 项微能力…要涵盖多媒体教学环境、混合学习环境、智慧学习环境."""
    problems = _unknown(codes, catalog)
    chosen = set(codes)
    if rules.school_set_min is not None and len(chosen) < rules.school_set_min:
        problems.append(RuleViolated("school_set_size", f"{len(chosen)} micro-abilities chosen; at least {rules.school_set_min} needed"))
    if rules.school_set_max is not None and len(chosen) > rules.school_set_max:
        problems.append(RuleViolated("school_set_size", f"{len(chosen)} micro-abilities chosen; at most {rules.school_set_max} allowed"))
    if rules.school_set_all_environments:
        missing = sorted(set(ENVIRONMENTS) - {catalog[c].environment for c in chosen if c in catalog})
        if missing:
            names = ", ".join(f"{e} {ENVIRONMENTS[e]}" for e in missing)
            problems.append(RuleViolated("school_set_environments", f"the set covers no micro-ability of {names}"))
    return problems


def teacher_choice_violations(
    codes: Sequence[str], catalog: Mapping[str, Ability], rules: ChoiceRules, school_set: Iterable[str] | None = None
) -> list[RuleViolated]:
    """A teacher's picks: count (003: 三项; 002: 至少2个), dimensions (002: 至少…2个维度), the school's set."""
    problems = _unknown(codes, catalog)
    if len(set(codes)) != len(codes):
        problems.append(RuleViolated("teacher_choice_duplicates", "a micro-ability is chosen twice"))
    count = len(set(codes))
    if count < rules.per_teacher_min:
        problems.append(RuleViolated("teacher_choice_count", f"{count} micro-abilities chosen; at least {rules.per_teacher_min} needed"))
    if rules.per_teacher_max is not None and count > rules.per_teacher_max:
        problems.append(RuleViolated("teacher_choice_count", f"{count} micro-abilities chosen; at most {rules.per_teacher_max} allowed"))
    if rules.dimensions_min is not None:
        dimensions = {catalog[c].dimension for c in codes if c in catalog}
        if len(dimensions) < rules.dimensions_min:
            problems.append(RuleViolated("teacher_dimension_coverage",
                                         f"the choices cover {len(dimensions)} dimension(s); at least {rules.dimensions_min} needed"))
    if school_set is not None:
        outside = sorted(set(codes) - set(school_set))
        if outside:
            problems.append(RuleViolated("school_set_membership", f"{', '.join(outside)} not in the school's chosen set"))
    return problems


def environment_shares(choices: Iterable[Sequence[str]], catalog: Mapping[str, Ability]) -> dict[str, float]:
    """Share of all teachers' choices (选课人次) falling in each environment."""
    counts = Counter(catalog[code].environment for picks in choices for code in picks if code in catalog)
    total = sum(counts.values())
    return {env: (counts[env] / total if total else 0.0) for env in ENVIRONMENTS}


def environment_share_violations(
    choices: Iterable[Sequence[str]], catalog: Mapping[str, Ability], rules: ChoiceRules
) -> list[RuleViolated]:
    """003: 多媒体 ≤ 50 %, 混合 ≥ 30 %, 智慧 ≥ 20 % of the school's choices."""
    shares = environment_shares(choices, catalog)
    problems = []
    for env, bound in sorted(rules.environment_shares.items()):
        share = shares[env]
        if bound.max is not None and share > bound.max + 1e-9:
            problems.append(RuleViolated("environment_shares", f"{ENVIRONMENTS[env]} {share:.1%} > {bound.max:.0%}"))
        if bound.min is not None and share < bound.min - 1e-9:
            problems.append(RuleViolated("environment_shares", f"{ENVIRONMENTS[env]} {share:.1%} < {bound.min:.0%}"))
    return problems


def _unknown(codes: Sequence[str], catalog: Mapping[str, Ability]) -> list[RuleViolated]:
    unknown = sorted(set(codes) - set(catalog))
    return [RuleViolated("catalog_membership", f"{', '.join(unknown)} not in the campaign's catalog")] if unknown else []

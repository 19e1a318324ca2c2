"""Access: who may see and act on what. Roles, the subtree rule and the independence rules, pure.

Every route, command, page and repository asks this module; `infra/` builds its SQL "readable" predicates from it
(e.g. `infra/task_views.in_subtree` is `within` as a query).
"""
from collections.abc import Mapping

from models.enums import Role

OFFICE_ROLES = frozenset({Role.COUNTY_OFFICE, Role.CITY_OFFICE})
"""The project offices (工程办): they see every task of their unit's subtree, whichever role it is for."""

SCHOOL_ROLES = frozenset({Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN})
"""The roles of people who work at a school (and so may upload its evidence)."""

UPLOADER_ROLES = SCHOOL_ROLES
"""Who uploads evidence: the school's own people."""

SUMMARY_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.COUNTY_OFFICE, Role.CITY_OFFICE, Role.PROVINCE_AUDITOR})
"""Who reads a campaign's 附件2 summary (of their own subtree)."""

OWN_SUBMISSION = "nobody grades their own submission"
OWN_SCHOOL = "a county, city or province reviewer never reviews a school they belong to"


def ancestry(unit_id: int, parents: Mapping[int, int | None]) -> list[int]:
    """The unit and every unit above it, nearest first."""
    chain, current = [], unit_id
    while current is not None:
        chain.append(current)
        current = parents.get(current)
    return chain


def within(user_unit: int, target_unit: int, parents: Mapping[int, int | None]) -> bool:
    """The subtree rule: True when target_unit is the user's unit or lies below it."""
    return user_unit in ancestry(target_unit, parents)


def is_office(role: Role | str) -> bool:
    """Whether the role is a project office (sees every task of its subtree, reassigns, manages people)."""
    return role in OFFICE_ROLES


def may_take(role: Role | str, task_role: Role | str) -> bool:
    """Only the role a task is for may claim or decide it (an office sees it, but does not take it)."""
    return role == task_role


def own_files_only(role: Role | str) -> bool:
    """A teacher uploads only their own evidence files and reads only those and the school-wide ones; the school's
    other people, and everyone above it, work on any file of their subtree."""
    return role == Role.TEACHER


def independence_refusal(role: Role | str, grades_own_submission: bool, teaches_at_school: bool) -> str | None:
    """The independence rules (DOMAIN.md): nobody grades their own submission; nobody above the school decides for a
    school they teach at. The reason it is refused, or None when the person is independent."""
    if grades_own_submission:
        return OWN_SUBMISSION
    if teaches_at_school and role not in SCHOOL_ROLES:
        return OWN_SCHOOL
    return None

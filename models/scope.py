"""Scope: a person sees and acts only inside their own unit's subtree."""
from collections.abc import Mapping

from models.enums import Role

OFFICE_ROLES = frozenset({Role.COUNTY_OFFICE, Role.CITY_OFFICE})
"""The project offices (工程办): they see every task of their unit's subtree, whichever role it is for."""


def ancestry(unit_id: int, parents: Mapping[int, int | None]) -> list[int]:
    """The unit and every unit above it, nearest first."""
    chain, current = [], unit_id
    while current is not None:
        chain.append(current)
        current = parents.get(current)
    return chain


def within(user_unit: int, target_unit: int, parents: Mapping[int, int | None]) -> bool:
    """True when target_unit is the user's unit or lies below it."""
    return user_unit in ancestry(target_unit, parents)

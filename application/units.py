"""The unit tree: an operator imports it from a file (all or nothing, every bad line named; a re-import renames in
place), and anyone reads the children of a unit inside their own subtree."""
from dataclasses import dataclass

from infra import repository as repo
from infra import units as store
from infra.unit_of_work import UnitOfWork
from models.access import within
from models.enums import UnitLevel
from models.errors import InvalidRecords, NotFound, OutOfScope
from models.org import Principal, Unit
from models.units import StoredUnit, UnitLine, tree_problems

LEVEL_ORDER = (UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY, UnitLevel.SCHOOL)


@dataclass(frozen=True)
class UnitImport:
    """What an import did: units created, changed (name, school type, township, parent) and left as they were."""

    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class UnitPage:
    """One page of a unit's children, and the unit they belong to."""

    parent: Unit
    total: int
    items: list[Unit]


def import_units(uow: UnitOfWork, lines: list[UnitLine]) -> UnitImport:
    """Create the file's new units and update the changed ones; a line that would break the tree, or move a unit
    that campaign data hangs on (a campaign's region or an enrolled school, or one above them), refuses the whole
    file."""
    session = uow.session
    tree = store.stored_tree(session)
    problems = tree_problems(lines, {code: StoredUnit(UnitLevel(t[1]), t[2]) for code, t in tree.items()})
    held = _held_units(uow, tree)
    for x in lines:
        stored = tree.get(x.code)
        if stored is None or problems:
            continue
        if stored[1] != x.level:
            problems.append(f"line {x.line}: '{x.code}' is stored as a {stored[1]}, not a {x.level}")
        elif stored[2] != x.parent_code and stored[0] in held:
            problems.append(f"line {x.line}: '{x.code}' cannot move from '{stored[2]}' to '{x.parent_code}': "
                            f"campaign data hangs on it")
    if problems:
        raise InvalidRecords("; ".join(problems))
    created = updated = 0
    ids = {code: t[0] for code, t in tree.items()}
    for level in LEVEL_ORDER:  # parents first, so each level's parent ids are known
        new = [x for x in lines if x.level == level and x.code not in tree]
        store.insert_units(session, [{"code": x.code, "name": x.name, "level": x.level,
                                      "parent_id": ids.get(x.parent_code), "school_type": x.school_type,
                                      "township": x.township} for x in new])
        ids.update(store.ids_by_code(session, [x.code for x in new]))
        created += len(new)
    changed = [x for x in lines if x.code in tree and tree[x.code][2:] != (x.parent_code, x.name, x.school_type,
                                                                            x.township)]
    store.update_units(session, [{"uid": ids[x.code], "name": x.name, "parent_id": ids.get(x.parent_code),
                                  "school_type": x.school_type, "township": x.township} for x in changed])
    updated = len(changed)
    return UnitImport(created, updated, len(lines) - created - updated)


def _held_units(uow: UnitOfWork, tree: dict) -> set[int]:
    """Units with campaign data on them or anywhere below them."""
    parents = repo.unit_parents(uow.session)
    held: set[int] = set()
    for unit in store.units_with_campaign_data(uow.session):
        current = unit
        while current is not None and current not in held:
            held.add(current)
            current = parents.get(current)
    return held


def list_units(uow: UnitOfWork, user: Principal, parent: str | None, page: int, page_size: int) -> UnitPage:
    """The direct children of a unit (the caller's own by default) by code, paged; OutOfScope above or beside the
    caller's unit."""
    session = uow.session
    unit = session.get(Unit, user.unit_id) if parent is None else store.unit_by_code(session, parent)
    if unit is None:
        raise NotFound(f"unit '{parent}' does not exist")
    if not within(user.unit_id, unit.id, repo.ancestry_parents(session, unit.id)):
        raise OutOfScope(f"unit '{unit.code}' is outside your unit")
    total, items = store.children_page(session, unit.id, page, page_size)
    return UnitPage(unit, total, items)

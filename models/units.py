"""The unit tree from an office's file: `code,name,level,parent_code[,school_type,township]`, parsed and checked
whole (every bad line named) against the units stored already."""
from collections.abc import Mapping
from dataclasses import dataclass

from models.csv_rows import parse_rows
from models.enums import UnitLevel
from models.errors import InvalidRecords

UNIT_COLUMNS = ("code", "name", "level", "parent_code")
DETAIL_COLUMNS = ("school_type", "township")
SCHOOL_TYPES = ("幼儿园", "小学", "初中", "高中", "完全中学", "九年一贯制", "中职")
PARENT_LEVEL = {UnitLevel.CITY: UnitLevel.PROVINCE, UnitLevel.COUNTY: UnitLevel.CITY,
                UnitLevel.SCHOOL: UnitLevel.COUNTY}
"""The level a unit's parent must have (a province has none)."""


@dataclass(frozen=True)
class UnitLine:
    """One unit of the file."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None
    school_type: str | None
    township: str | None
    line: int


@dataclass(frozen=True)
class StoredUnit:
    """A unit already in the database, as the checks need it."""

    level: UnitLevel
    parent_code: str | None


def parse_units(text: str, origin: str = "units") -> list[UnitLine]:
    """Parse a units file (the school_type and township columns are optional, together); InvalidRecords naming every
    bad line."""
    header = next((line for line in text.splitlines() if not line.lstrip().startswith("#")), "")
    columns = (*UNIT_COLUMNS, *DETAIL_COLUMNS) if "school_type" in header else UNIT_COLUMNS
    levels = [level.value for level in UnitLevel]

    def line_of(row: list[str], line: int) -> UnitLine:
        code, name, level, parent, *details = row
        school_type, township = (details + ["", ""])[:2]
        if not code or len(code) > 64 or any(ord(c) < 32 for c in code):
            raise ValueError(f"code '{code[:64]}' must be 1 to 64 printable characters")
        if not name or len(name) > 200:
            raise ValueError(f"unit '{code}' needs a name of at most 200 characters")
        if level not in levels:
            raise ValueError(f"level '{level}' is not one of {', '.join(levels)}")
        if school_type and level != UnitLevel.SCHOOL:
            raise ValueError(f"'{code}' is a {level}: only a school has a school_type")
        if school_type and school_type not in SCHOOL_TYPES:
            raise ValueError(f"school_type '{school_type}' is not one of {' / '.join(SCHOOL_TYPES)}")
        if len(township) > 100:
            raise ValueError("township has more than 100 characters")
        return UnitLine(code, name, UnitLevel(level), parent or None, school_type or None, township or None, line)

    return parse_rows(text, columns, origin, line_of, InvalidRecords)


def tree_problems(lines: list[UnitLine], stored: Mapping[str, StoredUnit]) -> list[str]:
    """Every line that would break the tree: a duplicate code, an unknown parent, a parent of the wrong level, a
    cycle (levels strictly ordered rule most out; a unit listed as its own ancestor is named as one)."""
    problems, first = [], {}
    for x in lines:
        if x.code in first:
            problems.append(f"line {x.line}: code '{x.code}' is listed already on line {first[x.code]}")
        else:
            first[x.code] = x.line
    filed = {x.code: x for x in lines if first[x.code] == x.line}
    level_of = {**{c: u.level for c, u in stored.items()}, **{c: x.level for c, x in filed.items()}}
    for x in filed.values():
        if x.level == UnitLevel.PROVINCE:
            if x.parent_code is not None:
                problems.append(f"line {x.line}: province '{x.code}' cannot have a parent")
            continue
        if x.parent_code is None:
            problems.append(f"line {x.line}: {x.level} '{x.code}' needs a parent_code")
        elif x.parent_code == x.code or _in_cycle(x.code, filed, stored):
            problems.append(f"line {x.line}: '{x.code}' would be its own ancestor (a cycle)")
        elif x.parent_code not in level_of:
            problems.append(f"line {x.line}: parent '{x.parent_code}' is neither in the file nor stored")
        elif level_of[x.parent_code] != PARENT_LEVEL[x.level]:
            problems.append(f"line {x.line}: a {x.level}'s parent must be a {PARENT_LEVEL[x.level]}, "
                            f"'{x.parent_code}' is a {level_of[x.parent_code]}")
    return sorted(problems, key=lambda p: int(p.split(":", 1)[0].removeprefix("line ")))


def _in_cycle(code: str, filed: Mapping[str, UnitLine], stored: Mapping[str, StoredUnit]) -> bool:
    seen, current = set(), code
    while current is not None and len(seen) <= 4:
        if current in seen:
            return current == code
        seen.add(current)
        x = filed.get(current)
        current = x.parent_code if x is not None else (stored[current].parent_code if current in stored else None)
    return current == code

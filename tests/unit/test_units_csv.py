"""The units file: parsing and the tree checks, every bad line named at once."""
from pathlib import Path

import pytest

from models.enums import UnitLevel
from models.errors import InvalidRecords
from models.units import StoredUnit, parse_units, tree_problems

EXAMPLE = Path(__file__).parents[2] / "examples" / "units.csv"


def test_the_example_file_is_a_valid_tree():
    lines = parse_units(EXAMPLE.read_text(encoding="utf-8"))
    assert tree_problems(lines, {}) == []
    schools = [x for x in lines if x.level == UnitLevel.SCHOOL]
    assert len(schools) == 8 and {x.school_type for x in schools} >= {"小学", "高中", "幼儿园", "中职", "完全中学"}
    assert next(x for x in lines if x.code == "YZ-S03").township == "新兖镇"


def test_the_detail_columns_are_optional():
    (line,) = parse_units("code,name,level,parent_code\nSD,山东省,province,\n")
    assert (line.code, line.parent_code, line.school_type) == ("SD", None, None)


def test_every_bad_line_is_named_by_the_parser():
    text = ("code,name,level,parent_code,school_type,township\n"
            "A,,county,B,,\nC,c,planet,,,\nD,d,county,X,小学,\nE,e,school,X,大学,\n")
    with pytest.raises(InvalidRecords) as refused:
        parse_units(text, "u.csv")
    detail = refused.value.detail
    assert detail.startswith("u.csv: ") and all(f"line {n}:" in detail for n in (2, 3, 4, 5))
    assert "needs a name" in detail and "planet" in detail and "only a school" in detail and "大学" in detail


def test_the_tree_checks_name_duplicates_unknown_parents_levels_and_cycles():
    lines = parse_units("code,name,level,parent_code\n"
                        "X,x,county,NOPE\nY,y,school,P\nX,x2,city,P\nA,a,county,B\nB,b,county,A\n"
                        "P2,p,province,P\nC,c,city,\n")
    problems = tree_problems(lines, {"P": StoredUnit(UnitLevel.PROVINCE, None)})
    assert problems == [
        "line 2: parent 'NOPE' is neither in the file nor stored",
        "line 3: a school's parent must be a county, 'P' is a province",
        "line 4: code 'X' is listed already on line 2",
        "line 5: 'A' would be its own ancestor (a cycle)",
        "line 6: 'B' would be its own ancestor (a cycle)",
        "line 7: province 'P2' cannot have a parent",
        "line 8: city 'C' needs a parent_code"]


def test_a_parent_stored_already_is_enough():
    lines = parse_units("code,name,level,parent_code\nS1,s,school,X1\n")
    assert tree_problems(lines, {"X1": StoredUnit(UnitLevel.COUNTY, "C1")}) == []

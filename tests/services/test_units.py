"""The unit tree's import and reads on the fast tier."""
from pathlib import Path

import pytest
from sqlalchemy import select

from application import imports, units
from infra import repository as repo
from models.errors import InvalidRecords, NotFound, OutOfScope
from models.org import Person, Unit
from models.roster import parse_roster
from models.units import parse_units

EXAMPLES = Path(__file__).parents[2] / "examples"


def example_units():
    return parse_units((EXAMPLES / "units.csv").read_text(encoding="utf-8"))


def unit(uow, code):
    return uow.session.scalars(select(Unit).where(Unit.code == code)).one()


def test_an_import_creates_the_tree_and_a_second_one_changes_nothing(uow):
    assert units.import_units(uow, example_units()) == units.UnitImport(12, 0, 0)
    school = unit(uow, "YZ-S01")
    assert (school.school_type, school.township, school.parent_id) == ("小学", "鼓楼街道", unit(uow, "SD-JN-YZ").id)
    assert units.import_units(uow, example_units()) == units.UnitImport(0, 0, 12)


def test_a_re_import_renames_in_place(uow):
    units.import_units(uow, example_units())
    before = unit(uow, "YZ-S02").id
    renamed = parse_units("code,name,level,parent_code,school_type,township\n"
                          "YZ-S02,兖州区第一高级中学,school,SD-JN-YZ,完全中学,龙桥街道\n")
    assert units.import_units(uow, renamed) == units.UnitImport(0, 1, 0)
    school = unit(uow, "YZ-S02")
    assert (school.id, school.name, school.school_type) == (before, "兖州区第一高级中学", "完全中学")


def test_a_unit_campaign_data_hangs_on_does_not_move(uow, demo):
    moved = parse_units("code,name,level,parent_code\nDEMO-C2,另一市,city,DEMO\n"
                        f"{demo.schools[0]},演示县第1学校,school,DEMO-C2-X1\nDEMO-C2-X1,另一县,county,DEMO-C2\n")
    with pytest.raises(InvalidRecords, match=f"'{demo.schools[0]}' cannot move from 'DEMO-C1-X1' to 'DEMO-C2-X1'"):
        units.import_units(uow, moved)
    assert uow.session.scalars(select(Unit).where(Unit.code == "DEMO-C2")).first() is None  # nothing half-done


def test_a_unit_without_campaign_data_may_move(uow, demo):
    units.import_units(uow, parse_units("code,name,level,parent_code\nDEMO-X9,空县,county,DEMO-C1\n"
                                        "DEMO-C9,新市,city,DEMO\n"))
    assert units.import_units(uow, parse_units("code,name,level,parent_code\nDEMO-X9,空县,county,DEMO-C9\n")
                              ).updated == 1
    assert unit(uow, "DEMO-X9").parent_id == unit(uow, "DEMO-C9").id


def test_a_roster_on_imported_units_imports(uow):
    units.import_units(uow, example_units())
    lines = parse_roster("username,name,role,unit_code,password\nyz-office,兖州区工程办,county_office,SD-JN-YZ,"
                         "change-me-2027\n")
    assert imports.import_users(uow, lines).users == 1
    assert uow.session.scalars(select(Person).where(Person.username == "yz-office")).one().unit_id == unit(
        uow, "SD-JN-YZ").id


def test_a_caller_reads_the_children_of_units_in_their_subtree_only(uow, demo):
    office = repo.principal_of(uow.session, "demo-county-office")[0]
    page = units.list_units(uow, office, None, 1, 50)
    assert (page.parent.code, page.total, [u.code for u in page.items]) == ("DEMO-C1-X1", 2, list(demo.schools))
    assert units.list_units(uow, office, demo.schools[0], 1, 50).total == 0
    with pytest.raises(OutOfScope):
        units.list_units(uow, office, "DEMO-C1", 1, 50)
    with pytest.raises(NotFound):
        units.list_units(uow, office, "NOPE", 1, 50)

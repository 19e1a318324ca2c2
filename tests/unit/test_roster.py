"""A roster file: an empty password is allowed (an activation code instead), a short one is not."""
import pytest

from models.errors import InvalidRecords
from models.roster import parse_roster

HEADER = "username,name,role,unit_code,password,email"


def test_an_empty_password_means_none_and_a_given_one_is_kept():
    lines = parse_roster(f"{HEADER}\nt1,张伟,teacher,YZ-S01,,\na1,管理员,school_admin,YZ-S01,change-me-2027,\n")
    assert [(x.username, x.password) for x in lines] == [("t1", ""), ("a1", "change-me-2027")]


def test_a_short_password_is_refused_by_line():
    with pytest.raises(InvalidRecords) as refused:
        parse_roster(f"{HEADER}\nt1,张伟,teacher,YZ-S01,,\na1,管理员,school_admin,YZ-S01,short,\n", "r.csv")
    assert refused.value.detail == "r.csv: line 3: password must be empty or have at least 8 characters"


def test_the_example_roster_parses_with_teachers_without_a_password():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "examples" / "roster.csv").read_text(encoding="utf-8-sig")
    lines = parse_roster(text)
    teachers = [x for x in lines if x.role == "teacher"]
    assert teachers and all(x.password == "" for x in teachers)
    assert all(len(x.password) >= 8 for x in lines if x.role != "teacher")

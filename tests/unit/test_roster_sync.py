"""The roster diff and the school-list file: pure rules."""
import pytest

from models.errors import InvalidRecords
from models.roster_sync import EnrolledTeacher, roster_changes
from models.school_list import parse_school_list


def test_joins_transfers_withdrawals_and_returns():
    enrolled = [EnrolledTeacher(1, 101, 10, False), EnrolledTeacher(2, 102, 10, False),
                EnrolledTeacher(3, 103, 10, True), EnrolledTeacher(4, 104, 11, False)]
    changes = roster_changes(enrolled, {101: 10, 102: 11, 103: 11, 105: 10})
    assert changes.joins == [(105, 10)]
    assert changes.transfers == [(2, 10, 11)]
    assert changes.returns == [(3, 10, 11)]
    assert changes.withdrawals == [(4, 11)]
    assert changes.counts() == {"joined": 1, "transferred": 1, "withdrawn": 1, "returned": 1}


def test_a_roster_in_step_changes_nothing():
    assert roster_changes([EnrolledTeacher(1, 101, 10, False), EnrolledTeacher(2, 102, 10, True)], {101: 10}
                          ).counts() == {"joined": 0, "transferred": 0, "withdrawn": 0, "returned": 0}


def test_a_school_list_with_or_without_header():
    assert parse_school_list("school_code\nYZ-S01\n\nYZ-S02\n") == ["YZ-S01", "YZ-S02"]
    assert parse_school_list("YZ-S01\n# a comment\nYZ-S02") == ["YZ-S01", "YZ-S02"]


def test_every_bad_line_of_a_school_list_is_named():
    with pytest.raises(InvalidRecords) as refused:
        parse_school_list("school_code\nYZ-S01\nYZ-S01\nbad\x01code\n", "s.csv")
    assert "s.csv: line 3: 'YZ-S01' is listed already on line 2" in refused.value.detail
    assert "s.csv: line 4:" in refused.value.detail
    with pytest.raises(InvalidRecords, match="no school code"):
        parse_school_list("school_code\n")

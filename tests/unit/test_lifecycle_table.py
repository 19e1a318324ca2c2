"""Every (state, event) pair is either allowed, reaching the stated state, or rejected naming both."""
import pytest

from models.enums import SchoolEvent as E, SchoolState as S
from models.errors import IllegalTransition
from models.lifecycle import TRANSITIONS, allowed_events, find_move

# The lifecycle of DOMAIN.md, written out independently of models/lifecycle.py.
EXPECTED = {
    (S.PLAN_DRAFTING, E.SUBMIT_PLAN): S.PLAN_SUBMITTED,
    (S.PLAN_RETURNED, E.SUBMIT_PLAN): S.PLAN_SUBMITTED,
    (S.PLAN_SUBMITTED, E.FILE_PLAN): S.TRAINING,
    (S.PLAN_SUBMITTED, E.RETURN_PLAN): S.PLAN_RETURNED,
    (S.TRAINING, E.FINISH_TRAINING): S.SCHOOL_REVIEW,
    (S.SCHOOL_REVIEW, E.APPLY_FOR_COUNTY_ASSESSMENT): S.COUNTY_ASSESSMENT,
    (S.COUNTY_ASSESSMENT, E.PASS_COUNTY_ASSESSMENT): S.LOCKED,
    (S.COUNTY_ASSESSMENT, E.FAIL_COUNTY_ASSESSMENT): S.RECTIFYING,
    (S.RECTIFYING, E.FINISH_RECTIFICATION): S.COUNTY_ASSESSMENT,
    (S.LOCKED, E.SAMPLE_FOR_SPOT_CHECK): S.SPOT_CHECK,
    (S.LOCKED, E.SKIP_SPOT_CHECK): S.PROVINCE_AUDIT,
    (S.SPOT_CHECK, E.PASS_SPOT_CHECK): S.PROVINCE_AUDIT,
    (S.SPOT_CHECK, E.FAIL_SPOT_CHECK): S.RECTIFYING,
    (S.PROVINCE_AUDIT, E.ACCEPT_BY_PROVINCE): S.CERTIFIED,
    (S.PROVINCE_AUDIT, E.RETURN_BY_PROVINCE): S.RECTIFYING,
}
for _state in S:
    if _state not in (S.CERTIFIED, S.INCOMPLETE):
        EXPECTED[(_state, E.CLOSE_OUT)] = S.INCOMPLETE

ALL_PAIRS = [(state, event) for state in S for event in E]


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=[f"{s}-{e}" for s, e in ALL_PAIRS])
def test_every_pair_is_allowed_or_rejected(state, event):
    if (state, event) in EXPECTED:
        assert find_move(state, event).to == EXPECTED[(state, event)]
    else:
        with pytest.raises(IllegalTransition) as raised:
            find_move(state, event)
        assert f"'{event}'" in raised.value.detail and f"'{state}'" in raised.value.detail
        assert raised.value.status_code == 409


def test_table_has_no_moves_beyond_the_expected_ones():
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize("terminal", [S.CERTIFIED, S.INCOMPLETE])
def test_end_states_allow_nothing(terminal):
    assert allowed_events(terminal) == []


def test_every_review_has_a_rework_loop():
    returning = {event for (_, event), move in TRANSITIONS.items() if move.to in (S.PLAN_RETURNED, S.RECTIFYING)}
    assert returning == {E.RETURN_PLAN, E.FAIL_COUNTY_ASSESSMENT, E.FAIL_SPOT_CHECK, E.RETURN_BY_PROVINCE}

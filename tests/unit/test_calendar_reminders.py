"""Pure rules of the campaign calendar and the reminder digests."""
from datetime import UTC, date, datetime, timedelta

import pytest

from models.calendar import DeadlineScope, check_override, checked_name, deadline_for, due_at, end_of_day
from models.enums import Role, SchoolState, TaskKind, UnitLevel
from models.errors import RuleViolated
from models.policy import ReminderRules, load_preset, preset_names
from models.reminders import (
    MAX_ATTEMPTS, SENDING_LEASE, ClaimVerdict, DeliveryStatus, OpenTask, Recipient, Urgency, build_digests,
    claim_is_stale, claim_verdict, escalation_office, urgency_of,
)

NOW = datetime(2022, 11, 20, 2, tzinfo=UTC)  # 10:00 in Shanghai
RULES = ReminderRules(warn_days=3, escalate_after_days=7)
SCHOOL, COUNTY, CITY, PROVINCE = 4, 3, 2, 1
CHAIN = [SCHOOL, COUNTY, CITY, PROVINCE]


@pytest.mark.parametrize("name", preset_names())
def test_presets_load_with_their_calendar(name):
    policy = load_preset(name)
    assert all(day <= policy.final_deadline for day in [*policy.deadlines.stages.values(),
                                                          *policy.deadlines.tasks.values()])


def test_yanzhou_calendar_quotes_the_seed():
    policy = load_preset("yanzhou-2022")
    assert policy.deadlines.stages[SchoolState.SCHOOL_REVIEW] == date(2022, 11, 25)
    assert policy.deadlines.stages[SchoolState.TRAINING] == date(2022, 12, 10)
    assert deadline_for(policy, TaskKind.SUBMISSION_GRADING, CHAIN, {}) == date(2022, 11, 25)  # by its stage
    assert deadline_for(policy, TaskKind.PROVINCE_AUDIT, CHAIN, {}) == date(2022, 12, 31)
    assert deadline_for(policy, TaskKind.PLAN_REVIEW, CHAIN, {}) is None


def test_the_nearest_override_wins_and_a_task_kind_beats_its_stage():
    policy = load_preset("yanzhou-2022")
    overrides = {(CITY, DeadlineScope.TASK, "submission_grading"): date(2022, 11, 22),
                 (COUNTY, DeadlineScope.STAGE, "school_review"): date(2022, 11, 20)}
    assert deadline_for(policy, TaskKind.SUBMISSION_GRADING, CHAIN, overrides) == date(2022, 11, 20)
    assert deadline_for(policy, TaskKind.SUBMISSION_GRADING, [5, COUNTY + 10, CITY], overrides) == date(2022, 11, 22)


def test_due_date_is_cut_back_to_a_deadline_still_ahead():
    opened = datetime(2022, 11, 20, 2, tzinfo=UTC)
    assert end_of_day(date(2022, 11, 25)) == datetime(2022, 11, 25, 16, tzinfo=UTC)  # midnight in Shanghai
    assert due_at(opened, 7, date(2022, 11, 25)) == end_of_day(date(2022, 11, 25))
    assert due_at(opened, 3, date(2022, 11, 25)) == opened + timedelta(days=3)
    assert due_at(opened, 7, None) == opened + timedelta(days=7)
    assert due_at(opened, 7, date(2022, 11, 1)) == opened + timedelta(days=7)  # passed: not born overdue


def test_an_override_names_a_real_entry_and_keeps_the_final_deadline():
    policy = load_preset("yanzhou-2022")
    assert checked_name(DeadlineScope.STAGE, "school_review") == "school_review"
    with pytest.raises(RuleViolated):
        checked_name(DeadlineScope.TASK, "school_review")
    with pytest.raises(RuleViolated):
        check_override(policy, date(2023, 1, 1))


def task(task_id, due_in_days, level=UnitLevel.SCHOOL, unit=SCHOOL, parent=COUNTY, role=Role.GROUP_LEADER,
         claimed_by=None):
    return OpenTask(task_id, "submission_grading", f"submission:{task_id}", "S1", unit, level, parent, role, claimed_by,
                    NOW + timedelta(days=due_in_days))


def test_urgency_before_at_and_past_the_due_date():
    assert urgency_of(NOW + timedelta(days=4), NOW, RULES) is None
    assert urgency_of(NOW + timedelta(days=3), NOW, RULES) == Urgency.DUE_SOON
    assert urgency_of(NOW, NOW, RULES) == Urgency.DUE_SOON
    assert urgency_of(NOW - timedelta(seconds=1), NOW, RULES) == Urgency.OVERDUE


def test_escalation_goes_to_the_office_above():
    assert escalation_office(task(1, -8)) == (COUNTY, Role.COUNTY_OFFICE)
    assert escalation_office(task(1, -8, UnitLevel.COUNTY, COUNTY, CITY, Role.COUNTY_EXPERT)) == (CITY, Role.CITY_OFFICE)
    assert escalation_office(task(1, -8, UnitLevel.CITY, CITY, PROVINCE, Role.CITY_EXPERT)) == (CITY, Role.CITY_OFFICE)
    assert escalation_office(task(1, -8, UnitLevel.PROVINCE, PROVINCE, None, Role.PROVINCE_AUDITOR)) is None


def test_one_digest_per_person_and_a_claimed_task_reminds_only_its_claimer():
    a, b = Recipient(10, "leader-a", "A", "a@x.cn"), Recipient(11, "leader-b", "B", None)
    office = Recipient(12, "office", "O", "o@x.cn")
    people = {(SCHOOL, Role.GROUP_LEADER): [a, b], (COUNTY, Role.COUNTY_OFFICE): [office]}
    tasks = [task(1, 1), task(2, -1), task(3, -8), task(4, -2, claimed_by="leader-b"), task(5, 10)]
    digests = {d.recipient.username: d for d in build_digests(7, "c", tasks, NOW, RULES, people, {"leader-b": b})}
    assert [(i.task_id, i.urgency) for i in digests["leader-a"].items] == [
        (3, Urgency.OVERDUE), (2, Urgency.OVERDUE), (1, Urgency.DUE_SOON)]
    assert [i.task_id for i in digests["leader-b"].items] == [3, 4, 2, 1]
    assert [(i.task_id, i.urgency, i.days_overdue) for i in digests["office"].items] == [(3, Urgency.ESCALATED, 8)]
    assert digests["leader-a"].day == date(2022, 11, 20)
    again = build_digests(7, "c", tasks, NOW, RULES, people, {"leader-b": b})
    assert {d.digest_hash for d in again} == {d.digest_hash for d in digests.values()}


def test_a_sending_claim_goes_stale_after_the_lease():
    assert not claim_is_stale(NOW - SENDING_LEASE + timedelta(seconds=1), NOW)
    assert claim_is_stale(NOW - SENDING_LEASE, NOW)
    assert SENDING_LEASE == timedelta(minutes=10)


@pytest.mark.parametrize("status,attempts,age,verdict", [
    (DeliveryStatus.SENT, 1, timedelta(hours=5), ClaimVerdict.ALREADY_SENT),
    (DeliveryStatus.SENDING, 1, timedelta(minutes=9, seconds=59), ClaimVerdict.IN_FLIGHT),
    (DeliveryStatus.SENDING, MAX_ATTEMPTS, timedelta(minutes=1), ClaimVerdict.IN_FLIGHT),  # its last try, running
    (DeliveryStatus.SENDING, 1, timedelta(minutes=10), ClaimVerdict.CLAIM),  # its run died: send again
    (DeliveryStatus.SENDING, MAX_ATTEMPTS, timedelta(minutes=10), ClaimVerdict.GAVE_UP),
    (DeliveryStatus.FAILED, 1, timedelta(0), ClaimVerdict.CLAIM),
    (DeliveryStatus.FAILED, MAX_ATTEMPTS - 1, timedelta(0), ClaimVerdict.CLAIM),
    (DeliveryStatus.FAILED, MAX_ATTEMPTS, timedelta(hours=1), ClaimVerdict.GAVE_UP),
])
def test_which_ledger_rows_a_run_may_take(status, attempts, age, verdict):
    assert claim_verdict(status, attempts, NOW - age, NOW) == verdict


def test_a_roster_may_carry_an_email_column():
    from models.errors import InvalidRecords
    from models.roster import parse_roster

    header = "username,name,role,unit_code,password"
    assert parse_roster(f"{header}\nt1,T,teacher,S1,long-pass-1\n")[0].email is None  # no column: keep stored
    lines = parse_roster(f"{header},email\nt1,T,teacher,S1,long-pass-1,t1@school.cn\nt2,U,teacher,S1,long-pass-2,\n")
    assert [x.email for x in lines] == ["t1@school.cn", ""]  # blank: clear it
    with pytest.raises(InvalidRecords, match="line 2: email 'nope' is not an e-mail address"):
        parse_roster(f"{header},email\nt1,T,teacher,S1,long-pass-1,nope\n")

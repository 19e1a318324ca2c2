"""The offices' services on the fast tier: people, login, campaign reads, calendar, notifications, reminders."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from application import auth, calendar, campaigns, notifications, people, reminders
from application.concurrency import commit_with_retry
from application.demo_setup import DEMO_PASSWORD
from infra import repository as repo
from infra.settings import Settings
from models.audit import AuditEntry
from models.calendar import DeadlineScope
from models.clock import utcnow
from models.enums import Role, TaskKind
from models.errors import LoginLocked, NotAuthenticated, NotFound, OutOfScope
from models.human_task import HumanTask
from models.login_throttle import LoginThrottle
from models.reminders import Channel, ClaimVerdict, Notification

COUNTY_OFFICE, CITY_OFFICE, LEADER = "demo-county-office", "demo-city-office", "DEMO-X1-S001-leader"


def principal(uow, username):
    return repo.principal_of(uow.session, username)[0]


def open_task(uow, school: str, role: Role, due_in: timedelta, claimed_by: str | None = None) -> HumanTask:
    """An open task of a school of campaign 'fast', for `role` at the school's unit."""
    enrolment = repo.school_enrolment(uow.session, "fast", school)
    task = HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.SUBMISSION_GRADING,
                     school_enrolment_id=enrolment.id, subject="submission:0", unit_id=enrolment.school_id,
                     candidate_role=role, due_at=utcnow() + due_in, claimed_by=claimed_by,
                     origin_key=f"fast-{school}-{role}-{due_in}")
    uow.session.add(task)
    uow.session.flush()
    return task


def audit_events(uow) -> list[str]:
    """The events recorded after the demo's set-up (which enrolled its schools)."""
    return [e.event for e in uow.session.scalars(select(AuditEntry).where(AuditEntry.event != "enrol_school")
                                                 .order_by(AuditEntry.id))]


# people

def test_an_office_deactivates_a_person_releasing_their_claims_once(uow, demo):
    task = open_task(uow, demo.schools[0], Role.GROUP_LEADER, timedelta(days=3), claimed_by=LEADER)
    done = people.deactivate_person(uow, principal(uow, COUNTY_OFFICE), LEADER)
    assert (done.active, done.changed, done.released_tasks, done.unit) == (False, True, [task.id], demo.schools[0])
    uow.session.refresh(task)
    assert task.claimed_by is None and task.version == 2
    assert audit_events(uow) == ["deactivate_person", "release_task"]
    again = people.deactivate_person(uow, principal(uow, COUNTY_OFFICE), LEADER)
    assert (again.changed, again.released_tasks) == (False, []) and len(audit_events(uow)) == 2
    back = people.activate_person(uow, principal(uow, CITY_OFFICE), LEADER)
    assert (back.active, back.changed) == (True, True) and audit_events(uow)[-1] == "activate_person"


@pytest.mark.parametrize(("caller", "target", "detail"), [
    ("demo-county-expert", LEADER, "only a county or city project office"),
    (COUNTY_OFFICE, COUNTY_OFFICE, "nobody deactivates or activates themselves"),
    (COUNTY_OFFICE, CITY_OFFICE, "outside your unit"),
])
def test_only_an_office_above_a_person_changes_them(uow, demo, caller, target, detail):
    with pytest.raises(OutOfScope, match=detail):
        people.deactivate_person(uow, principal(uow, caller), target)
    assert repo.person_by_username(uow.session, target) is not None


def test_an_unknown_person_is_not_found_and_an_operator_needs_no_office(uow, demo):
    with pytest.raises(NotFound, match="user 'nobody' does not exist"):
        people.deactivate_person(uow, principal(uow, COUNTY_OFFICE), "nobody")
    done = people.set_person_active(uow, "ops-wang", COUNTY_OFFICE, False)
    assert done.changed and uow.session.scalars(select(AuditEntry).where(
        AuditEntry.event == "deactivate_person")).one().actor == "ops-wang"


# the retry around a write a concurrent writer may beat

class CountingUow:
    def __init__(self):
        self.commits = self.rollbacks = 0

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


def test_a_lost_race_is_rolled_back_and_run_again_then_reported():
    calls = []

    def step(uow, fail_times):
        calls.append(1)
        if len(calls) <= fail_times:
            raise IntegrityError("INSERT", {}, Exception("chain head taken"))
        return len(calls)

    uow = CountingUow()
    assert commit_with_retry(uow, step, 2) == 3 and (uow.commits, uow.rollbacks) == (1, 2)
    calls.clear()
    with pytest.raises(IntegrityError):
        commit_with_retry(CountingUow(), step, 5, attempts=3)
    assert len(calls) == 3


# login

def test_a_wrong_password_is_counted_then_refused_and_the_fifth_locks(uow, demo):
    settings = Settings()
    for _ in range(4):
        attempt = auth.log_in(uow, settings, COUNTY_OFFICE, "wrong", "10.0.0.1")
        with pytest.raises(NotAuthenticated, match="unknown username or wrong password"):
            attempt.token()
    assert uow.session.get(LoginThrottle, f"user:{COUNTY_OFFICE}").failures == 4
    with pytest.raises(LoginLocked):
        auth.log_in(uow, settings, COUNTY_OFFICE, "wrong", "10.0.0.1").token()
    assert audit_events(uow) == ["login_locked"]
    with pytest.raises(LoginLocked):  # the right password is not even checked while locked
        auth.log_in(uow, settings, COUNTY_OFFICE, DEMO_PASSWORD, "10.0.0.2")


def test_a_right_password_issues_a_token_and_resets_the_count(uow, demo):
    settings = Settings()
    auth.log_in(uow, settings, COUNTY_OFFICE, "wrong", "10.0.0.3")
    done = auth.log_in(uow, settings, COUNTY_OFFICE, DEMO_PASSWORD, "10.0.0.3")
    assert done.token() and done.expires_in == settings.token_minutes * 60
    assert uow.session.get(LoginThrottle, f"user:{COUNTY_OFFICE}") is None
    people.set_person_active(uow, "ops", COUNTY_OFFICE, False)
    with pytest.raises(NotAuthenticated, match="is deactivated"):
        auth.log_in(uow, settings, COUNTY_OFFICE, DEMO_PASSWORD, "10.0.0.3")


# campaign reads

def test_progress_and_schools_count_only_what_lies_inside_the_callers_unit(uow, demo):
    open_task(uow, demo.schools[0], Role.GROUP_LEADER, timedelta(days=-1))
    county = campaigns.campaign_progress(uow, principal(uow, COUNTY_OFFICE), "fast")
    school = campaigns.campaign_progress(uow, principal(uow, f"{demo.schools[1]}-admin"), "fast")
    assert (county.schools, county.teachers, county.overdue_tasks) == (2, 4, 1)
    assert (school.schools, school.teachers, school.overdue_tasks) == (1, 2, 0)
    total, rows = campaigns.list_schools(uow, principal(uow, LEADER), "fast", None, None, 1, 50)
    assert total == 1 and [r.code for r in rows] == [demo.schools[0]] and len(rows[0].open_tasks) == 1
    with pytest.raises(OutOfScope):
        campaigns.list_schools(uow, principal(uow, LEADER), "fast", None, demo.schools[1], 1, 50)


def test_the_summary_is_for_management_and_history_for_the_people_above_a_school(uow, demo):
    with pytest.raises(OutOfScope, match="school management and project offices"):
        campaigns.annex_summary(uow, principal(uow, LEADER), "fast")
    summary = campaigns.annex_summary(uow, principal(uow, COUNTY_OFFICE), "fast")
    assert summary.final is False and {r.code for r in summary.rows} >= set(demo.schools)
    assert summary.csv().startswith("\ufeff".encode()) and "fast-" in summary.csv_disposition()
    enrolment = repo.school_enrolment(uow.session, "fast", demo.schools[0])
    repo.append_audit(uow.session, [AuditEntry(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id,
                                               actor="someone", event="note", created_at=utcnow(), payload={})])
    history = campaigns.school_history(uow, principal(uow, COUNTY_OFFICE), "fast", demo.schools[0])
    assert (history.state, [e.event for e in history.entries]) == (enrolment.state, ["enrol_school", "note"])
    with pytest.raises(OutOfScope, match="outside your unit"):
        campaigns.school_history(uow, principal(uow, f"{demo.schools[1]}-admin"), "fast", demo.schools[0])


def test_the_closeout_reports_wait_for_the_close(uow, demo):
    with pytest.raises(NotFound, match="not closed yet"):
        campaigns.closeout_report_links(uow, principal(uow, CITY_OFFICE), "fast", None, timedelta(minutes=5))
    with pytest.raises(OutOfScope, match="region's offices"):
        campaigns.closeout_report_links(uow, principal(uow, COUNTY_OFFICE), "fast", None, timedelta(minutes=5))


# calendar

def test_an_office_sets_a_deadline_its_subtree_reads_and_open_tasks_follow(uow, demo):
    task = open_task(uow, demo.schools[0], Role.GROUP_LEADER, timedelta(days=30))
    due_before = task.due_at
    policy_day = calendar.read_calendar(uow, principal(uow, COUNTY_OFFICE), "fast", None).stages["school_review"]
    assert policy_day[1] is None
    day = policy_day[0] - timedelta(days=5)
    done = calendar.set_deadline(uow, principal(uow, COUNTY_OFFICE), "fast", "DEMO-C1-X1", DeadlineScope.STAGE,
                                 "school_review", day)
    assert (done.unit, done.tasks_redated) == ("DEMO-C1-X1", 1)
    seen = calendar.read_calendar(uow, principal(uow, LEADER), "fast", None)
    assert seen.unit == demo.schools[0] and seen.stages["school_review"] == (day, "DEMO-C1-X1")
    uow.session.refresh(task)
    assert task.due_at != due_before and task.version == 1  # re-dated, not staled
    day = policy_day[0] - timedelta(days=1)
    with pytest.raises(OutOfScope, match="only a project office"):
        calendar.set_deadline(uow, principal(uow, "demo-county-expert"), "fast", "DEMO-C1-X1", DeadlineScope.STAGE,
                              "school_review", day)
    with pytest.raises(OutOfScope, match="outside your unit"):
        calendar.read_calendar(uow, principal(uow, LEADER), "fast", "DEMO-C1-X1")
    with pytest.raises(NotFound, match="unit 'NOPE' does not exist"):
        calendar.read_calendar(uow, principal(uow, LEADER), "fast", "NOPE")


# reminders and notifications

def test_a_digest_is_stored_in_app_once_and_read_by_its_recipient_only(uow, demo):
    open_task(uow, demo.schools[0], Role.GROUP_LEADER, timedelta(days=1))
    open_task(uow, demo.schools[1], Role.GROUP_LEADER, timedelta(days=40))  # not due soon: no digest
    steps = []
    digests = reminders.collect_digests(uow, None, utcnow(), lambda done, total: steps.append((done, total)))
    assert [d.recipient.username for d in digests] == [LEADER] and steps[0][0] == 0 and steps[-1][0] == steps[-1][1]
    delivery_id, verdict = reminders.store_in_app_digest(uow, digests[0])
    assert delivery_id is not None and verdict == ClaimVerdict.CLAIM
    assert reminders.store_in_app_digest(uow, digests[0]) == (None, ClaimVerdict.ALREADY_SENT)
    assert reminders.claim_delivery(uow, digests[0], Channel.WEBHOOK)[1] == ClaimVerdict.CLAIM
    leader = principal(uow, LEADER)
    total, rows = notifications.list_notifications(uow, leader, True, 1, 50)
    assert total == 1 and rows[0][1] == "fast"
    note, _ = notifications.mark_notification_read(uow, leader, rows[0][0].id)
    assert note.read_at is not None and notifications.list_notifications(uow, leader, True, 1, 50)[0] == 0
    with pytest.raises(NotFound):
        notifications.mark_notification_read(uow, principal(uow, COUNTY_OFFICE), note.id)
    assert len(uow.session.scalars(select(Notification)).all()) == 1


def test_reminders_for_an_unknown_campaign_are_not_found(uow, demo):
    with pytest.raises(NotFound, match="campaign 'nope' does not exist"):
        reminders.collect_digests(uow, "nope", utcnow())
    assert reminders.collect_digests(uow, "fast", utcnow()) == []  # no open task yet

"""The weekly progress services and the one progress reporter, on the fast tier."""
from datetime import timedelta

import pytest

from application import progress
from application.progress_reporting import (
    CLOSEOUT, STEPS, StepCount, closeout_progress, listening, progress_tables, report, report_step,
)
from infra import repository as repo
from models.clock import utcnow
from models.enums import Role, TaskKind, TaskStatus
from models.errors import NotFound
from models.human_task import HumanTask


def _task(uow, school: str, due_in: timedelta, status: TaskStatus = TaskStatus.OPEN) -> None:
    enrolment = repo.school_enrolment(uow.session, "fast", school)
    subject = {"subject": f"school_enrolment:{enrolment.id}"} if "subject" in HumanTask.model_fields else {}
    uow.session.add(HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.PLAN_REVIEW,
                              school_enrolment_id=enrolment.id, unit_id=enrolment.school_id,
                              candidate_role=Role.COUNTY_OFFICE, status=status, due_at=utcnow() + due_in,
                              origin_key=f"test:{school}:{due_in}:{status}", **subject))
    uow.session.flush()


def test_the_campaigns_to_report_are_the_named_one_or_all(uow, demo):
    assert progress.campaigns_to_report(uow, "fast") == ["fast"]
    assert "fast" in progress.campaigns_to_report(uow, None)
    with pytest.raises(NotFound):
        progress.campaigns_to_report(uow, "no-such-campaign")


def test_county_progress_counts_schools_per_state_and_only_open_overdue_tasks(uow, demo):
    _task(uow, "DEMO-X1-S001", -timedelta(days=1))                      # overdue
    _task(uow, "DEMO-X1-S002", timedelta(days=1))                       # not yet due
    _task(uow, "DEMO-X1-S002", -timedelta(days=2), TaskStatus.COMPLETED)  # done, late or not
    (row,) = progress.county_progress(uow, "fast", utcnow())
    assert (row["county"], row["name"], row["schools"]) == ("DEMO-C1-X1", "演示县", 2)
    assert row["plan_drafting"] == 2 and row["certified"] == 0
    assert row["overdue_tasks"] == 1
    (later,) = progress.county_progress(uow, "fast", utcnow() + timedelta(days=3))
    assert later["overdue_tasks"] == 2


def test_each_channel_reaches_only_its_own_listener_and_nothing_without_one():
    heard = []
    report_step("users", 1, 2)  # nobody listens: nothing happens
    with listening(lambda *v: heard.append(("steps", v))), closeout_progress(lambda *v: heard.append(("co", v))):
        report_step("users", 1, 2)
        report(CLOSEOUT, 1, 5, "campaign frozen")
        with progress_tables(lambda *v: heard.append(("tables", v))):
            report("progress-tables", "fast", [])
        report("progress-tables", "fast", [])  # its listener has gone
    report(STEPS, "users", 2, 2)
    assert heard == [("steps", ("users", 1, 2)), ("co", (1, 5, "campaign frozen")), ("tables", ("fast", []))]


def test_a_step_count_reports_every_step_and_says_when_the_artifact_is_due():
    heard = []
    count = StepCount(CLOSEOUT, 4, every=30.0)
    with closeout_progress(lambda done, total, step: heard.append((done, total, step))):
        due = [count.advance("frozen", extra_steps=6), count.advance("b1"), count.advance("b2"),
               count.advance("b3")] + [count.advance(f"s{i}") for i in range(6)]
    assert [(d, t) for d, t, _ in heard] == [(i, 10) for i in range(1, 11)]
    assert due == [None, None, 30.0, None, None, 60.0, None, None, 90.0, 100.0]


def test_the_weekly_table_puts_a_phasing_policys_targets_beside_each_countys_share(uow, demo):
    from sqlalchemy import select

    from models.campaign import Campaign, SchoolEnrolment
    from models.enums import SchoolState

    campaign = uow.session.scalars(select(Campaign).where(Campaign.code == "fast")).one()
    campaign.policy = {**campaign.policy, "targets": [{"by": "2022-06-30", "share": 0.5}]}
    first = uow.session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.campaign_id == campaign.id)
                                .order_by(SchoolEnrolment.id)).first()
    first.state = SchoolState.CERTIFIED
    uow.session.flush()
    (row,) = progress.county_progress(uow, "fast", utcnow())
    assert (row["county"], row["certified_share"], row["target 2022-06-30"]) == ("DEMO-C1-X1", 0.5, "50% met")

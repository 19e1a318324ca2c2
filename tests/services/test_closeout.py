"""The year-end closeout's services on the fast tier: freeze, figures, carry-over, which campaigns are due."""
from datetime import date

import pytest
from sqlalchemy import select

from application import closeout
from infra import repository as repo
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, TeacherEnrolment
from models.enums import CampaignStatus, Grade, SchoolState
from models.errors import CampaignClosed, NotFound

ACTOR = "year-end-closeout"


def _campaign(uow, code="fast") -> Campaign:
    return repo.campaign_by_code(uow.session, code)


def _teachers(uow, campaign_id: int) -> list[TeacherEnrolment]:
    return list(uow.session.scalars(select(TeacherEnrolment).where(TeacherEnrolment.campaign_id == campaign_id)
                                    .order_by(TeacherEnrolment.id)))


def _schools(uow, campaign_id: int) -> list[SchoolEnrolment]:
    return list(uow.session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.campaign_id == campaign_id)
                                    .order_by(SchoolEnrolment.id)))


def test_freezing_closes_the_campaign_and_keeps_its_first_closing_time(uow, demo):
    first = closeout.freeze_campaign(uow, ACTOR, "fast")
    again = closeout.freeze_campaign(uow, ACTOR, "fast")
    uow.session.expire_all()
    assert again == first and first.campaign_id == _campaign(uow).id
    assert _campaign(uow).status == CampaignStatus.CLOSED


def test_freezing_an_unknown_campaign_is_refused(uow, demo):
    with pytest.raises(NotFound):
        closeout.freeze_campaign(uow, ACTOR, "no-such-campaign")


def test_unfinished_schools_are_those_not_certified_nor_incomplete(uow, demo):
    campaign_id = _campaign(uow).id
    assert closeout.count_unfinished_schools(uow, campaign_id) == 2
    _schools(uow, campaign_id)[0].state = SchoolState.CERTIFIED
    uow.session.flush()
    assert closeout.count_unfinished_schools(uow, campaign_id) == 1


def test_figures_count_passes_by_the_policys_hours_and_roll_up_to_the_province(uow, demo):
    campaign_id = _campaign(uow).id
    t1, t2, t3, _ = _teachers(uow, campaign_id)  # yanzhou-2022: 25 online, 25 practice, 50 in all
    t1.online_hours, t1.practice_hours, t1.result = 25, 25, Grade.PASS          # passed
    t2.online_hours, t2.practice_hours, t2.result = 24.9, 30, Grade.EXCELLENT   # short of online hours
    t3.online_hours, t3.practice_hours, t3.result = 30, 30, Grade.FAIL          # hours met, assessment failed
    uow.session.flush()
    figures = {s.school.code: s.figures for s in closeout.school_figures(uow, campaign_id)}
    first, second = figures["DEMO-X1-S001"], figures["DEMO-X1-S002"]
    assert (first.teachers, first.passed, first.hours_passed, first.assessment_passed, first.practice_done) == \
        (2, 1, 1, 2, 2)
    assert (second.teachers, second.passed, second.hours_passed, second.assessment_passed) == (2, 0, 1, 0)
    summary = closeout.closeout_summary(uow, campaign_id)
    assert summary.province.code == "DEMO" and [c.county.code for c in summary.counties] == ["DEMO-C1-X1"]
    assert (summary.province.figures.teachers, summary.province.figures.passed) == (4, 1)


def test_carry_over_enrols_the_incomplete_schools_unfinished_teachers_once(uow, demo):
    current = _campaign(uow)
    first, second = _schools(uow, current.id)
    first.state, second.state = SchoolState.INCOMPLETE, SchoolState.CERTIFIED
    t1, t2, *_ = _teachers(uow, current.id)
    t1.online_hours, t1.practice_hours, t1.result = 25, 25, Grade.PASS  # passed: stays behind
    t2.online_hours = 12.5
    uow.session.flush()
    carried = closeout.carry_over_teachers(uow, ACTOR, current.id, "fast-next")
    assert carried == {"schools": 1, "teachers": 1, "hour_records": 0}
    following = _campaign(uow, "fast-next")
    assert following.year == current.year + 1 and following.policy["final_deadline"] == "2023-12-31"
    (moved,) = _teachers(uow, following.id)
    assert (moved.teacher_id, moved.online_hours, moved.result) == (t2.teacher_id, 12.5, None)
    catalog = uow.session.scalars(select(MicroAbility.code).where(MicroAbility.campaign_id == following.id)).all()
    assert len(catalog) == len(uow.session.scalars(select(MicroAbility.code).where(
        MicroAbility.campaign_id == current.id)).all()) > 0
    assert closeout.carry_over_teachers(uow, ACTOR, current.id, "fast-next") == {
        "schools": 0, "teachers": 0, "hour_records": 0}


def test_carry_over_into_a_closed_campaign_is_refused(uow, demo):
    current = _campaign(uow)
    closeout.carry_over_teachers(uow, ACTOR, current.id, "fast-next")
    closeout.freeze_campaign(uow, ACTOR, "fast-next")
    with pytest.raises(CampaignClosed):
        closeout.carry_over_teachers(uow, ACTOR, current.id, "fast-next")


def test_a_campaign_is_due_from_its_final_deadline_until_it_is_closed(uow, demo):
    assert "fast" not in closeout.campaigns_due(uow, date(2022, 12, 30))
    assert "fast" in closeout.campaigns_due(uow, date(2022, 12, 31))
    closeout.freeze_campaign(uow, ACTOR, "fast")
    assert "fast" not in closeout.campaigns_due(uow, date(2023, 1, 1))

"""003's drawn presenters: a presenter_verification task each for the county expert, confirmed or doubtful."""
import pytest
from sqlalchemy import select

from application import inbox, school_review
from infra import repository as repo
from infra.school_review import presenter_checks
from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.decisions import PresenterConfirmed, PresenterDoubtful
from models.enums import Grade, SubmissionStatus, TaskKind
from models.human_task import HumanTask

SCHOOL = "DEMO-X1-S001"


def test_each_drawn_presenter_gets_one_verification_which_the_expert_decides(uow, demo):
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    ability = uow.session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id)).first()
    for teacher in uow.session.scalars(select(TeacherEnrolment).where(
            TeacherEnrolment.school_enrolment_id == enrolment.id)):
        uow.session.add(Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id,
                                   status=SubmissionStatus.GRADED, grade=Grade.PASS))
    uow.session.flush()
    presenters = school_review.draw_school_presenters(uow, enrolment.id)
    assert len(presenters) == 1  # 5 % of two teachers: at least one
    assert school_review.open_presenter_verifications(uow, enrolment.id) == 1
    assert school_review.open_presenter_verifications(uow, enrolment.id) == 0  # once, however often assessed
    task = uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.PRESENTER_VERIFICATION)).one()
    assert task.candidate_role == "county_expert" and task.unit_id != enrolment.school_id  # the county's
    assert presenter_checks(uow.session, enrolment.id) == ((presenters[0], None),)

    expert = repo.active_principal(uow.session, "demo-county-expert")
    with pytest.raises(ValueError):
        PresenterDoubtful(kind="presenter_verification", outcome="doubtful", notes=" ")  # doubt says why
    inbox.complete_task(uow, expert, task.id, PresenterConfirmed(kind="presenter_verification",
                                                                 outcome="confirmed"), None)
    assert presenter_checks(uow.session, enrolment.id) == ((presenters[0], "confirmed"),)

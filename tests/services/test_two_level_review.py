"""Two-level school review (000 教研组 then 学校, 002 学校评审): the group leader's grade is proposed, the school admin
confirms or changes it, and only then does it count."""
import pytest
from sqlalchemy import select

from application import inbox, my_submissions, peer_reviews, school_review
from infra import repository as repo
from models.audit import AuditEntry
from models.campaign import Campaign, Submission
from models.decisions import GradeConfirmationDecision, SubmissionGradingDecision
from models.enums import Grade, SchoolState, SubmissionStatus, TaskKind, TaskStatus
from models.errors import RulesViolated
from models.human_task import HumanTask
from tests.services.test_my_submissions import A1_ITEMS, _ready

SCHOOL = "DEMO-X1-S001"


def _two_levels(uow) -> None:
    campaign = repo.campaign_by_code(uow.session, "fast")
    campaign.policy = {**campaign.policy, "school_confirms_grades": True, "peer_review_before_submit": False}
    uow.session.flush()


def _task(uow, kind: TaskKind) -> HumanTask:
    uow.session.expire_all()  # completions are conditional UPDATEs
    return uow.session.scalars(select(HumanTask).where(HumanTask.kind == kind).order_by(HumanTask.id.desc())).first()


def _apply(uow) -> int:
    enrolment_id = repo.school_enrolment(uow.session, "fast", SCHOOL).id
    return school_review.apply_submission_grades(uow, "system", enrolment_id, None)


def _leader_grades(uow, grades: dict[str, Grade]) -> None:
    """The school's group leader completes the open grading task with these item grades."""
    leader = repo.active_principal(uow.session, f"{SCHOOL}-leader")
    inbox.complete_task(uow, leader, _task(uow, TaskKind.SUBMISSION_GRADING).id,
                        SubmissionGradingDecision(kind="submission_grading", items=grades), None)


def test_the_leaders_grade_waits_for_the_schools_confirmation_which_may_change_it(uow, demo):
    _two_levels(uow)
    teacher, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    admin = repo.active_principal(uow.session, f"{SCHOOL}-admin")
    _leader_grades(uow, {item: Grade.EXCELLENT for item in A1_ITEMS})
    assert _apply(uow) == 1

    submission = uow.session.get(Submission, made.id)
    assert (submission.status, submission.grade) == (SubmissionStatus.PROPOSED, Grade.EXCELLENT)
    confirmation = _task(uow, TaskKind.GRADE_CONFIRMATION)
    assert (confirmation.submission_id, confirmation.status, confirmation.candidate_role) == (
        made.id, TaskStatus.OPEN, "school_admin")
    assert peer_reviews.grading_inputs(uow, admin, confirmation.id).proposed_grade == "excellent"
    assert teacher.result is None  # a proposed grade does not count yet
    with pytest.raises(RulesViolated, match="submission_pending"):
        my_submissions.submit_my_work(uow, me, "fast", "A1", files)

    changed = GradeConfirmationDecision(kind="grade_confirmation", items={item: Grade.PASS for item in A1_ITEMS})
    inbox.complete_task(uow, admin, confirmation.id, changed, None)
    assert _apply(uow) == 1 and _apply(uow) == 0  # repeat-safe
    uow.session.refresh(submission)
    assert (submission.status, submission.grade) == (SubmissionStatus.GRADED, Grade.PASS)
    events = uow.session.scalars(select(AuditEntry.event).where(AuditEntry.event.in_(
        ["propose_grade", "confirm_grade", "grade_submission"])).order_by(AuditEntry.id)).all()
    assert events == ["propose_grade", "confirm_grade"]


def test_a_confirmation_without_items_keeps_the_leaders_grade(uow, demo):
    _two_levels(uow)
    _, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    admin = repo.active_principal(uow.session, f"{SCHOOL}-admin")
    _leader_grades(uow, {A1_ITEMS[0]: Grade.PASS, A1_ITEMS[1]: Grade.FAIL})
    _apply(uow)
    inbox.complete_task(uow, admin, _task(uow, TaskKind.GRADE_CONFIRMATION).id,
                        GradeConfirmationDecision(kind="grade_confirmation"), None)
    _apply(uow)
    submission = uow.session.get(Submission, made.id)
    uow.session.refresh(submission)
    assert (submission.status, submission.grade) == (SubmissionStatus.GRADED, Grade.FAIL)


def test_one_level_grades_at_once(uow, demo):
    campaign = repo.campaign_by_code(uow.session, "fast")
    assert not uow.session.get(Campaign, campaign.id).policy.get("school_confirms_grades")
    _, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    uow.session.get(Campaign, campaign.id).policy = {**campaign.policy, "peer_review_before_submit": False}
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    _leader_grades(uow, {item: Grade.PASS for item in A1_ITEMS})
    _apply(uow)
    submission = uow.session.get(Submission, made.id)
    uow.session.refresh(submission)
    assert submission.status == SubmissionStatus.GRADED and _task(uow, TaskKind.GRADE_CONFIRMATION) is None

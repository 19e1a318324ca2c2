"""互学互评 (003) through tasks: a submission's review goes to the least-loaded colleague, who reviews before
submitting; the grader reads the recorded review."""
import pytest
from sqlalchemy import select

from application import inbox, my_submissions, peer_reviews
from infra import repository as repo
from infra.task_views import TaskFilter
from models.decisions import PeerReviewDecision
from models.enums import SchoolState, TaskKind, TaskStatus
from models.errors import NotFound, RuleViolated, RulesViolated
from models.grading import fairest_reviewer
from models.human_task import HumanTask
from models.org import Principal
from tests.services.test_my_submissions import _school, _teachers, _upload

A1_ITEMS = ["学情分析方案", "学情分析报告"]
REVIEW = PeerReviewDecision(kind="peer_review", comment="方案清楚，报告可补前测数据")


def _files(uow, teacher) -> dict[str, int]:
    teacher.choices = ["A1", "B2", "C4"]
    return {item: _upload(uow, teacher, "A1", kind) for item, kind in zip(A1_ITEMS, ["design", "report"])}


def _reviews(uow) -> list[HumanTask]:
    uow.session.expire_all()  # completions are conditional UPDATEs
    return list(uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.PEER_REVIEW)
                                    .order_by(HumanTask.id)))


def _inbox(uow, who: Principal) -> list[int]:
    return [row.task.id for row in inbox.list_tasks(uow, who, TaskFilter(kind="peer_review"))[1]]


def test_the_fairest_reviewer_has_the_fewest_reviews_the_first_among_equals():
    assert fairest_reviewer([("t2", 1), ("t3", 0), ("t4", 0)]) == "t3"
    assert fairest_reviewer([("t2", 2), ("t3", 2)]) == "t2"
    assert fairest_reviewer([]) is None


def test_a_submission_is_reviewed_by_a_colleague_who_reviews_before_submitting(uow, demo):
    (first, me), (second, colleague) = _teachers(uow)
    _school(uow, SchoolState.TRAINING)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", _files(uow, first))
    (review,) = _reviews(uow)
    assert (review.submission_id, review.claimed_by, review.status) == (made.id, colleague.username, TaskStatus.OPEN)
    assert _inbox(uow, colleague) == [review.id] and _inbox(uow, me) == []  # only the assignee sees it

    theirs = _files(uow, second)
    with pytest.raises(RulesViolated, match="peer_review_first: finish the 1 peer review"):
        my_submissions.submit_my_work(uow, colleague, "fast", "A1", theirs)
    with pytest.raises(RuleViolated, match="peer_review_assigned"):
        inbox.release_task(uow, colleague, review.id, None)
    with pytest.raises(NotFound):
        inbox.complete_task(uow, me, review.id, REVIEW, None)  # nobody reviews their own work
    inbox.complete_task(uow, colleague, review.id, REVIEW, None)

    my_submissions.submit_my_work(uow, colleague, "fast", "A1", theirs)
    assert [(t.claimed_by, t.status) for t in _reviews(uow)] == [
        (colleague.username, TaskStatus.COMPLETED), (me.username, TaskStatus.OPEN)]


def test_a_recorded_review_is_what_the_grader_reads_beside_the_evidence(uow, demo):
    (first, me), (_, colleague) = _teachers(uow)
    _school(uow, SchoolState.SCHOOL_REVIEW)
    files = _files(uow, first)
    my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    (review,) = _reviews(uow)
    inbox.complete_task(uow, colleague, review.id, REVIEW, None)
    enrolment_id = review.school_enrolment_id
    assert peer_reviews.record_peer_reviews(uow, enrolment_id) == 1
    assert peer_reviews.record_peer_reviews(uow, enrolment_id) == 0  # repeat-safe

    grading = uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.SUBMISSION_GRADING)).one()
    leader = repo.active_principal(uow.session, "DEMO-X1-S001-leader")
    inputs = peer_reviews.grading_inputs(uow, leader, grading.id)
    assert inputs.evidence == files
    assert [(r.reviewer[0], r.comment) for r in inputs.reviews] == [(colleague.username, REVIEW.comment)]


def test_a_withdrawal_cancels_the_open_peer_review(uow, demo):
    (first, me), _ = _teachers(uow)
    _school(uow, SchoolState.TRAINING)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", _files(uow, first))
    my_submissions.withdraw_my_submission(uow, me, "fast", made.id)
    assert [t.status for t in _reviews(uow)] == [TaskStatus.CANCELLED]

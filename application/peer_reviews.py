"""互学互评 (003): a submission's peer review goes to the least-loaded colleague as a task of theirs; completed reviews
are recorded for the grader with the school's grades."""
from dataclasses import dataclass
from datetime import datetime

from infra import peer_reviews as store, task_views
from infra.calendar import task_due_at
from infra.unit_of_work import UnitOfWork
from models.campaign import PeerReview, SchoolEnrolment, Submission, TeacherEnrolment
from models.clock import utcnow
from models.decisions import SCHOOL_WORK_KINDS
from models.enums import SubmissionStatus, TaskKind
from models.grading import fairest_reviewer
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.org import Principal
from models.policy import Policy


@dataclass(frozen=True)
class ReviewRead:
    """A colleague's review as the grader reads it."""

    reviewer: tuple[str, str]
    comment: str
    reviewed_at: datetime


def assign_peer_review(uow: UnitOfWork, submission: Submission, author: TeacherEnrolment,
                       school: SchoolEnrolment, policy: Policy) -> str | None:
    """Open a peer_review task on the submission for the colleague with the fewest reviews so far (never its author),
    held by them; the reviewer's username, or None when the policy asks none or the author has no colleague."""
    if not policy.peer_review_before_submit:
        return None
    reviewer = fairest_reviewer(store.review_loads(uow.session, author))
    if reviewer is None:
        return None
    now = utcnow()
    _, role = TASK_ASSIGNMENT[TaskKind.PEER_REVIEW]
    uow.session.add(HumanTask(
        campaign_id=school.campaign_id, kind=TaskKind.PEER_REVIEW, school_enrolment_id=school.id,
        submission_id=submission.id, unit_id=school.school_id, candidate_role=role, claimed_by=reviewer,
        claimed_at=now, origin_key=f"submission:{submission.id}:peer_review",
        due_at=task_due_at(uow.session, school.campaign_id, policy, TaskKind.PEER_REVIEW, school.school_id, now)))
    return reviewer


def reviews_owed(uow: UnitOfWork, campaign_id: int, username: str) -> int:
    """How many peer reviews assigned to the teacher are still open."""
    return store.reviews_owed(uow.session, campaign_id, username)


def record_peer_reviews(uow: UnitOfWork, enrolment_id: int) -> int:
    """Record the school's completed peer reviews (repeat-safe); returns how many were new."""
    done = store.unrecorded_reviews(uow.session, enrolment_id)
    uow.session.add_all(PeerReview(reviewer_enrolment_id=reviewer, submission_id=submission_id,
                                   comment=(decision or {}).get("comment", ""), created_at=completed_at or utcnow())
                        for submission_id, reviewer, decision, completed_at in done)
    return len(done)


@dataclass(frozen=True)
class GradingInputs:
    """What a grader reads beside the task: the evidence version sent per item, the colleagues' reviews, and the
    group leader's grade while it awaits the school's confirmation."""

    evidence: dict[str, int]
    reviews: list[ReviewRead]
    proposed_grade: str | None


def grading_inputs(uow: UnitOfWork, user: Principal, task_id: int) -> GradingInputs | None:
    """For a task on a submission the caller may see (grading, peer review, confirmation): its evidence, recorded
    reviews and proposed grade; None for another kind (NotFound as read_task)."""
    task = task_views.visible_task(uow.session, user, task_id)
    if task.kind not in SCHOOL_WORK_KINDS or task.submission_id is None:
        return None
    submission = uow.session.get(Submission, task.submission_id)
    reviews = [ReviewRead((username, name), comment, when)
               for username, name, comment, when in store.reviews_of(uow.session, submission.id)]
    proposed = str(submission.grade) if submission.status == SubmissionStatus.PROPOSED else None
    return GradingInputs(dict(submission.evidence or {}), reviews, proposed)

"""Tasks of school review: open a grading task per submission, apply the graders' decisions, record peer reviews,
draw presenters."""
from prefect import task

from application import peer_reviews, school_review
from infra.unit_of_work import committed
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def school_enrolment_id(campaign: str, school: str) -> int:
    """The id of a school's enrolment in a campaign, or NotFound."""
    return committed(school_review.school_enrolment_id, campaign, school)


@task(**TASK_DEFAULTS)
def open_grading_tasks(enrolment_id: int) -> int:
    """Create a grading task for every submitted, ungraded submission of the school; returns how many."""
    return committed(school_review.open_grading_tasks, enrolment_id)


@task(**TASK_DEFAULTS)
def apply_submission_grades(enrolment_id: int, actor: str, flow_run_id: str | None) -> int:
    """Grade submissions from completed grading tasks, roll up teacher results, audit each grade; a closed
    campaign refuses (CampaignClosed)."""
    return committed(school_review.apply_submission_grades, actor, enrolment_id, flow_run_id)


@task(**TASK_DEFAULTS)
def record_peer_reviews(enrolment_id: int) -> int:
    """Record the school's completed peer reviews for their graders (repeat-safe); returns how many were new."""
    return committed(peer_reviews.record_peer_reviews, enrolment_id)


@task(**TASK_DEFAULTS)
def open_presenter_verifications(enrolment_id: int) -> int:
    """A presenter_verification task for the county expert per drawn presenter (once); returns how many were new."""
    return committed(school_review.open_presenter_verifications, enrolment_id)


@task(**TASK_DEFAULTS)
def draw_school_presenters(enrolment_id: int) -> list[str]:
    """Draw ~5 % of the school's teachers to present (003), recording seed and roster hash in the audit log."""
    return committed(school_review.draw_school_presenters, enrolment_id)

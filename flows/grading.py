"""Flow applying a school's completed grading and peer-review tasks in one run."""
from prefect import flow
from prefect.runtime import flow_run

from tasks.grading import apply_submission_grades, record_peer_reviews, school_enrolment_id


@flow(name="apply-grading-decisions", flow_run_name="grades · {school}", persist_result=False)
def apply_grading_decisions(campaign: str, school: str, actor: str = "system") -> int:
    """Record the school's completed peer reviews, then apply every completed, unapplied grading decision; returns
    how many grades were applied."""
    enrolment_id = school_enrolment_id(campaign, school)
    record_peer_reviews(enrolment_id)
    return apply_submission_grades(enrolment_id, actor, flow_run.get_id())

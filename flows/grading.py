"""Flow applying a school's completed grading tasks in one run."""
from prefect import flow
from prefect.runtime import flow_run

from tasks.grading import apply_submission_grades, school_enrolment_id


@flow(name="apply-grading-decisions", flow_run_name="grades · {school}", persist_result=False)
def apply_grading_decisions(campaign: str, school: str, actor: str = "system") -> int:
    """Apply every completed, unapplied grading decision of a school; returns how many were applied."""
    return apply_submission_grades(school_enrolment_id(campaign, school), actor, flow_run.get_id())

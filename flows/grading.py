"""Flow applying a school's completed grading tasks in one run."""
from prefect import flow
from prefect.runtime import flow_run

from infra import repository as repo
from infra.db import session_scope
from tasks.grading import apply_submission_grades


@flow(name="apply-grading-decisions", flow_run_name="grades · {school}", persist_result=False)
def apply_grading_decisions(campaign: str, school: str, actor: str = "system") -> int:
    """Apply every completed, unapplied grading decision of a school; returns how many were applied."""
    with session_scope() as session:
        enrolment_id = repo.school_enrolment(session, campaign, school).id
    return apply_submission_grades(enrolment_id, actor, flow_run.get_id())

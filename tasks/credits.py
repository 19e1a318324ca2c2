"""Task run on certification: credit the passed teachers' hours (学分)."""
from prefect import task
from sqlalchemy import update

from infra.db import session_scope
from models.campaign import Campaign, SchoolEnrolment, TeacherEnrolment
from models.enums import Grade
from models.policy import Policy
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def credit_teacher_hours(enrolment_id: int) -> int:
    """Set credited hours to the policy total for every passed teacher of the school (idempotent)."""
    with session_scope() as session:
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
        result = session.execute(
            update(TeacherEnrolment)
            .where(
                TeacherEnrolment.school_enrolment_id == enrolment_id,
                TeacherEnrolment.result.in_([Grade.PASS, Grade.EXCELLENT]),
            )
            .values(credited_hours=policy.hours.total_min)
        )
        return result.rowcount

"""Task run on certification: credit the passed teachers' hours (学分)."""
from prefect import task

from application import school_review
from infra.unit_of_work import committed
from tasks.common import TASK_DEFAULTS


@task(**TASK_DEFAULTS)
def credit_teacher_hours(enrolment_id: int) -> int:
    """Set credited hours to the policy total for every passed teacher of the school (idempotent)."""
    return committed(school_review.credit_teacher_hours, enrolment_id)

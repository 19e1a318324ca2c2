"""Tasks for what teachers do themselves: log hours, and the demo's simulated teachers' work (application/
teacher_work.py holds the rules: choices, hours, review-then-submit)."""
from prefect import task

from application import imports, teacher_work
from infra.unit_of_work import committed
from models.hours import HourRecord
from models.simulation import TeacherWork
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step

DEMO_TEACHERS = "demo-teachers"


@task(**TASK_DEFAULTS)
def import_hour_records(campaign_id: int, records: list[HourRecord]) -> dict[str, int]:
    """Store records for known teachers of the campaign and recompute their hours; all or nothing."""
    return committed(imports.import_hour_records, campaign_id, records, progress=report_step)


@task(**TASK_DEFAULTS)
def record_teacher_work(enrolment_id: int, work: list[TeacherWork]) -> int:
    """Apply simulated teachers' work through the same rules: choices, hours, review-then-submit."""
    return committed(teacher_work.record_teacher_work, DEMO_TEACHERS, enrolment_id, work)

"""Tasks for what teachers do themselves: log hours, and the demo's simulated teachers' work (application/
teacher_work.py holds the rules: choices, hours, review-then-submit)."""
from prefect import task
from sqlalchemy import select

from application import teacher_work
from application.teacher_work import campaign_policy as _policy, recompute_hours
from infra import repository as repo
from infra.db import session_scope
from infra.unit_of_work import committed
from models.campaign import HourRecord as HourRecordRow, TeacherEnrolment
from models.errors import InvalidRecords
from models.hours import HourRecord
from models.org import Person
from models.simulation import TeacherWork
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step

CHUNK = 500  # hour records flushed at a time
DEMO_TEACHERS = "demo-teachers"


@task(**TASK_DEFAULTS)
def import_hour_records(campaign_id: int, records: list[HourRecord]) -> dict[str, int]:
    """Store records for known teachers of the campaign and recompute their hours; all or nothing."""
    with session_scope() as session:
        repo.writable_campaign(session, campaign_id)  # a closed campaign takes no more hours
        policy = _policy(session, campaign_id)
        teachers = dict(session.execute(
            select(Person.username, TeacherEnrolment).join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
            .where(TeacherEnrolment.campaign_id == campaign_id)).all())
        unknown = [f"line {r.line}: teacher '{r.teacher}' is not enrolled in this campaign"
                   for r in records if r.teacher not in teachers]
        if unknown:
            raise InvalidRecords("; ".join(unknown))
        touched: dict[int, TeacherEnrolment] = {}
        for start in range(0, len(records), CHUNK):
            for r in records[start:start + CHUNK]:
                teacher = teachers[r.teacher]
                touched[teacher.id] = teacher
                session.add(HourRecordRow(teacher_enrolment_id=teacher.id, course=r.course, kind=r.kind,
                                          minutes_watched=r.minutes_watched, course_minutes=r.course_minutes))
            session.flush()
            report_step("hour records stored", min(start + CHUNK, len(records)), len(records))
        for done, teacher in enumerate(touched.values(), 1):
            recompute_hours(session, teacher, policy)
            report_step("teachers' hours recomputed", done, len(touched))
        return {"records": len(records), "teachers": len(touched)}


@task(**TASK_DEFAULTS)
def record_teacher_work(enrolment_id: int, work: list[TeacherWork]) -> int:
    """Apply simulated teachers' work through the same rules: choices, hours, review-then-submit."""
    return committed(teacher_work.record_teacher_work, DEMO_TEACHERS, enrolment_id, work)

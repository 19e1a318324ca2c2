"""Tasks for what teachers do themselves: choose micro-abilities, log hours, review peers, submit."""
from collections import defaultdict
from collections.abc import Sequence

from prefect import task
from sqlalchemy import delete, func, select

from application import imports
from infra.db import session_scope
from infra.unit_of_work import committed
from models.campaign import (
    Campaign, HourRecord as HourRecordRow, MicroAbility, PeerReview, SchoolEnrolment, Submission, TeacherEnrolment,
)
from models.choices import teacher_choice_violations
from models.errors import RuleViolated
from models.grading import peer_review_shortfall
from models.hours import HourKind, HourRecord, credited_hours
from models.policy import Policy
from models.simulation import TeacherWork
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step


def _policy(session, campaign_id: int) -> Policy:
    return Policy.model_validate(session.get(Campaign, campaign_id).policy)


def recompute_hours(session, teacher: TeacherEnrolment, policy: Policy) -> None:
    """Set a teacher's online and practice hours from all their records under the policy."""
    rows = session.scalars(select(HourRecordRow).where(HourRecordRow.teacher_enrolment_id == teacher.id)).all()
    records = [HourRecord("", r.course, r.minutes_watched, r.course_minutes, HourKind(r.kind)) for r in rows]
    teacher.online_hours, teacher.practice_hours = credited_hours(records, policy.hours)


@task(**TASK_DEFAULTS)
def import_hour_records(campaign_id: int, records: list[HourRecord]) -> dict[str, int]:
    """Store records for known teachers of the campaign and recompute their hours; all or nothing."""
    return committed(imports.import_hour_records, campaign_id, records, progress=report_step)


def record_choices(session, teacher: TeacherEnrolment, codes: Sequence[str], policy: Policy,
                   catalog: dict[str, MicroAbility], school_set: Sequence[str] | None) -> None:
    """Set a teacher's micro-abilities, refusing choices the policy forbids (named rule)."""
    problems = teacher_choice_violations(list(codes), catalog, policy.choices, school_set)
    if problems:
        raise problems[0]
    teacher.choices = list(codes)


def submit_evidence(session, teacher: TeacherEnrolment, code: str, policy: Policy,
                    catalog: dict[str, MicroAbility]) -> Submission:
    """A teacher's submission for one of their micro-abilities (003: after reviewing a colleague's work)."""
    if code not in teacher.choices:
        raise RuleViolated("submission_choice", f"{code} is not among the teacher's chosen micro-abilities")
    reviews = session.scalar(select(func.count()).select_from(PeerReview)
                             .where(PeerReview.reviewer_enrolment_id == teacher.id))
    others = session.scalar(
        select(func.count()).select_from(Submission)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == teacher.school_enrolment_id,
               TeacherEnrolment.id != teacher.id))
    shortfall = peer_review_shortfall(policy, reviews, others)
    if shortfall:
        raise RuleViolated("peer_review_first", shortfall)
    attempt = 1 + session.scalar(select(func.count()).select_from(Submission).where(
        Submission.teacher_enrolment_id == teacher.id, Submission.micro_ability_id == catalog[code].id))
    submission = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=catalog[code].id, attempt=attempt)
    session.add(submission)
    session.flush()
    return submission


def review_peer(session, reviewer: TeacherEnrolment, submission: Submission, comment: str) -> None:
    """Record a peer review; nobody reviews their own work, nor work of another school."""
    author = session.get(TeacherEnrolment, submission.teacher_enrolment_id)
    if author.id == reviewer.id:
        raise RuleViolated("no_self_review", "a teacher cannot review their own submission")
    if author.school_enrolment_id != reviewer.school_enrolment_id:
        raise RuleViolated("peer_review_scope", "peer review stays inside the school")
    session.add(PeerReview(reviewer_enrolment_id=reviewer.id, submission_id=submission.id, comment=comment))


@task(**TASK_DEFAULTS)
def record_teacher_work(enrolment_id: int, work: list[TeacherWork]) -> int:
    """Apply simulated teachers' work through the same rules: choices, hours, review-then-submit."""
    with session_scope() as session:
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        if session.scalar(select(func.count()).select_from(Submission)
                          .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
                          .where(TeacherEnrolment.school_enrolment_id == enrolment_id)):
            return 0  # already recorded (a retry of the same run)
        policy = _policy(session, enrolment.campaign_id)
        catalog = {m.code: m for m in session.scalars(
            select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id)).all()}
        school_set = (enrolment.plan or {}).get("micro_abilities")
        teachers = {t.id: t for t in session.scalars(select(TeacherEnrolment).where(
            TeacherEnrolment.school_enrolment_id == enrolment_id)).all()}
        submitted: dict[int, list[Submission]] = defaultdict(list)
        for item in work:
            teacher = teachers[item.teacher_enrolment_id]
            record_choices(session, teacher, item.micro_abilities, policy, catalog, school_set)
            session.execute(delete(HourRecordRow).where(HourRecordRow.teacher_enrolment_id == teacher.id))
            session.add_all(HourRecordRow(teacher_enrolment_id=teacher.id, course=r.course, kind=r.kind,
                                          minutes_watched=r.minutes_watched, course_minutes=r.course_minutes)
                            for r in item.hour_records)
            session.flush()
            recompute_hours(session, teacher, policy)
            earlier = [s for subs in submitted.values() for s in subs]
            if earlier:
                review_peer(session, teacher, earlier[-1], "互评：设计合理")
            submitted[teacher.id] = [submit_evidence(session, teacher, code, policy, catalog)
                                     for code in item.micro_abilities]
        first = work[0].teacher_enrolment_id if work else None
        later = [s for tid, subs in submitted.items() if tid != first for s in subs]
        if first is not None and later:
            review_peer(session, teachers[first], later[0], "互评：反思深入")
        return sum(len(v) for v in submitted.values())

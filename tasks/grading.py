"""Tasks of school review: open a grading task per submission, apply the graders' decisions."""
import hashlib
from collections import defaultdict

from prefect import task
from sqlalchemy import select

from infra import repository as repo
from infra.calendar import task_due_at
from infra.db import session_scope
from models.audit import AuditEntry
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.clock import utcnow
from models.enums import Grade, SubmissionStatus, TaskKind, TaskStatus
from models.grading import draw_presenters, grade_micro_ability
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.org import Person
from models.policy import Policy
from models.rules import teacher_result
from tasks.common import TASK_DEFAULTS


def _school_submissions(session, enrolment_id: int):
    return session.execute(
        select(Submission, TeacherEnrolment)
        .join(TeacherEnrolment, TeacherEnrolment.id == Submission.teacher_enrolment_id)
        .where(TeacherEnrolment.school_enrolment_id == enrolment_id)
        .order_by(Submission.id)
    ).all()


@task(**TASK_DEFAULTS)
def open_grading_tasks(enrolment_id: int) -> int:
    """Create a grading task for every submitted, ungraded submission of the school; returns how many."""
    with session_scope() as session:
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
        pending = [s for s, _ in _school_submissions(session, enrolment_id) if s.status == SubmissionStatus.SUBMITTED]
        keys = {f"submission:{s.id}:a{s.attempt}:grading": s for s in pending}
        existing = set(session.scalars(select(HumanTask.origin_key).where(HumanTask.origin_key.in_(keys))).all()) if keys else set()
        now = utcnow()
        due = task_due_at(session, enrolment.campaign_id, policy, TaskKind.SUBMISSION_GRADING, enrolment.school_id, now)
        _, role = TASK_ASSIGNMENT[TaskKind.SUBMISSION_GRADING]
        new = [
            HumanTask(
                campaign_id=enrolment.campaign_id, kind=TaskKind.SUBMISSION_GRADING, school_enrolment_id=enrolment_id,
                submission_id=s.id, unit_id=enrolment.school_id, candidate_role=role,
                due_at=due, origin_key=key,
            )
            for key, s in keys.items() if key not in existing
        ]
        session.add_all(new)
        return len(new)


@task(**TASK_DEFAULTS)
def apply_submission_grades(enrolment_id: int, actor: str, flow_run_id: str | None) -> int:
    """Grade submissions from completed grading tasks, roll up teacher results, audit each grade; a closed
    campaign refuses (CampaignClosed)."""
    with session_scope() as session:
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        policy = Policy.model_validate(repo.writable_campaign(session, enrolment.campaign_id).policy)
        rows = _school_submissions(session, enrolment_id)
        by_id = {s.id: s for s, _ in rows}
        required_items = dict(session.execute(select(MicroAbility.id, MicroAbility.evidence_items).where(
            MicroAbility.campaign_id == enrolment.campaign_id)).all())
        done = session.scalars(
            select(HumanTask).where(
                HumanTask.school_enrolment_id == enrolment_id, HumanTask.kind == TaskKind.SUBMISSION_GRADING,
                HumanTask.status == TaskStatus.COMPLETED,
            ).order_by(HumanTask.id)
        ).all()
        entries = []
        for grading in done:
            submission = by_id[grading.submission_id]
            if submission.status != SubmissionStatus.SUBMITTED:
                continue
            submission.grade = _decided_grade(grading.decision, required_items[submission.micro_ability_id])
            submission.status = SubmissionStatus.GRADED
            entries.append(AuditEntry(
                campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment_id, actor=grading.decided_by or actor,
                event="grade_submission", payload={"submission_id": submission.id, "task_id": grading.id,
                                                   "grade": submission.grade},
                flow_run_id=flow_run_id, command_key=f"task:{grading.id}:grade",
            ))
        _roll_up_teachers(rows, policy.choices.per_teacher_min)
        if entries:
            repo.append_audit(session, entries)
        return len(entries)


def _decided_grade(decision: dict, required_items: list[str]) -> Grade:
    """The grader's per-item grades rolled up (items override a whole grade), or the whole grade."""
    if isinstance(decision.get("items"), dict):
        return grade_micro_ability(required_items, {k: Grade(v) for k, v in decision["items"].items()})
    return Grade(decision["grade"])


@task(**TASK_DEFAULTS)
def draw_school_presenters(enrolment_id: int) -> list[str]:
    """Draw ~5 % of the school's teachers to present (003), recording seed and roster hash in the audit log."""
    with session_scope() as session:
        key = f"presenters:{enrolment_id}"
        prior = session.scalars(select(AuditEntry).where(AuditEntry.command_key == key)).first()
        if prior is not None:
            return list(prior.payload["presenters"])
        enrolment = session.get(SchoolEnrolment, enrolment_id)
        policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
        if policy.presenter_ratio is None:
            return []
        usernames = session.scalars(
            select(Person.username).join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
            .where(TeacherEnrolment.school_enrolment_id == enrolment_id)).all()
        seed = int(hashlib.sha256(f"{enrolment.campaign_id}:{enrolment_id}".encode()).hexdigest()[:8], 16)
        draw = draw_presenters(usernames, policy.presenter_ratio, seed)
        repo.append_audit(session, [AuditEntry(
            campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment_id, actor="system",
            event="draw_presenters", command_key=key,
            payload={"seed": draw.seed, "population_hash": draw.population_hash, "ratio": policy.presenter_ratio,
                     "presenters": list(draw.presenters)},
        )])
        return list(draw.presenters)


def _roll_up_teachers(rows, required: int) -> None:
    latest: dict[int, dict[int, Submission]] = defaultdict(dict)
    teachers: dict[int, TeacherEnrolment] = {}
    for submission, teacher in rows:
        teachers[teacher.id] = teacher
        current = latest[teacher.id].get(submission.micro_ability_id)
        if current is None or submission.attempt > current.attempt:
            latest[teacher.id][submission.micro_ability_id] = submission
    for teacher_id, by_ability in latest.items():
        teachers[teacher_id].result = teacher_result([s.grade for s in by_ability.values()], required)

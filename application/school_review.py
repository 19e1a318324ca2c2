"""A school's review as system steps: open its grading tasks, apply the graders' decisions, draw its presenters,
credit its passed teachers; and the locked schools the city's spot-check draw samples from."""
import hashlib
from collections import defaultdict

from infra import repository as repo
from infra import school_review as store
from infra.calendar import task_due_at
from infra.unit_of_work import UnitOfWork
from models.audit import AuditEntry
from models.campaign import Submission, TeacherEnrolment
from models.clock import utcnow
from models.enums import Grade, SubmissionStatus, TaskKind
from models.grading import draw_presenters, grade_micro_ability
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.policy import Policy
from models.rules import teacher_result


def school_enrolment_id(uow: UnitOfWork, campaign: str, school: str) -> int:
    """The id of a school's enrolment in a campaign, or NotFound."""
    return repo.school_enrolment(uow.session, campaign, school).id


def open_grading_tasks(uow: UnitOfWork, enrolment_id: int) -> int:
    """Create a grading task for every submitted, ungraded submission of the school; returns how many."""
    session = uow.session
    enrolment, policy = store.enrolment_and_policy(session, enrolment_id)
    pending = [s for s, _ in store.school_submissions(session, enrolment_id) if s.status == SubmissionStatus.SUBMITTED]
    keys = {f"submission:{s.id}:a{s.attempt}:grading": s for s in pending}
    existing = store.existing_origin_keys(session, keys)
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


def apply_submission_grades(uow: UnitOfWork, actor: str, enrolment_id: int, flow_run_id: str | None) -> int:
    """Grade submissions from completed grading tasks, roll up teacher results, audit each grade; a closed
    campaign refuses (CampaignClosed)."""
    session = uow.session
    enrolment, _ = store.enrolment_and_policy(session, enrolment_id)
    policy = Policy.model_validate(repo.writable_campaign(session, enrolment.campaign_id).policy)
    rows = store.school_submissions(session, enrolment_id)
    by_id = {s.id: s for s, _ in rows}
    required_items = store.required_items(session, enrolment.campaign_id)
    entries = []
    for grading in store.completed_gradings(session, enrolment_id):
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


def draw_school_presenters(uow: UnitOfWork, enrolment_id: int) -> list[str]:
    """Draw ~5 % of the school's teachers to present (003), recording seed and roster hash in the audit log."""
    session = uow.session
    key = f"presenters:{enrolment_id}"
    prior = store.audit_entry(session, key)
    if prior is not None:
        return list(prior.payload["presenters"])
    enrolment, policy = store.enrolment_and_policy(session, enrolment_id)
    if policy.presenter_ratio is None:
        return []
    usernames = store.teacher_usernames(session, enrolment_id)
    seed = int(hashlib.sha256(f"{enrolment.campaign_id}:{enrolment_id}".encode()).hexdigest()[:8], 16)
    draw = draw_presenters(usernames, policy.presenter_ratio, seed)
    repo.append_audit(session, [AuditEntry(
        campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment_id, actor="system",
        event="draw_presenters", command_key=key,
        payload={"seed": draw.seed, "population_hash": draw.population_hash, "ratio": policy.presenter_ratio,
                 "presenters": list(draw.presenters)},
    )])
    return list(draw.presenters)


def credit_teacher_hours(uow: UnitOfWork, enrolment_id: int) -> int:
    """Set credited hours to the policy total for every passed teacher of the school (idempotent)."""
    _, policy = store.enrolment_and_policy(uow.session, enrolment_id)
    return store.credit_passed_teachers(uow.session, enrolment_id, policy.hours.total_min)


def locked_schools_by_county(uow: UnitOfWork, campaign: str) -> dict[str, list[str]]:
    """School codes locked with every evidence version held (000: 锁定，等待市级抽查), grouped by county code."""
    return store.locked_schools_by_county(uow.session, campaign)


def _decided_grade(decision: dict, required_items: list[str]) -> Grade:
    """The grader's per-item grades rolled up (items override a whole grade), or the whole grade."""
    if isinstance(decision.get("items"), dict):
        return grade_micro_ability(required_items, {k: Grade(v) for k, v in decision["items"].items()})
    return Grade(decision["grade"])


def _roll_up_teachers(rows: list[tuple[Submission, TeacherEnrolment]], required: int) -> None:
    latest: dict[int, dict[int, Submission]] = defaultdict(dict)
    teachers: dict[int, TeacherEnrolment] = {}
    for submission, teacher in rows:
        teachers[teacher.id] = teacher
        if submission.status == SubmissionStatus.WITHDRAWN:
            continue
        current = latest[teacher.id].get(submission.micro_ability_id)
        if current is None or submission.attempt > current.attempt:
            latest[teacher.id][submission.micro_ability_id] = submission
    for teacher_id, by_ability in latest.items():
        teachers[teacher_id].result = teacher_result([s.grade for s in by_ability.values()], required)

"""A school's review as system steps: open its grading tasks, apply the graders' decisions, draw its presenters,
credit its passed teachers."""
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
    """Grade submissions from completed grading tasks — where the policy has the school confirm, propose the grade
    and open the school admin's confirmation, then grade on its completion — roll up teacher results, audit each
    step; how many steps were applied. A closed campaign refuses (CampaignClosed)."""
    session = uow.session
    enrolment, _ = store.enrolment_and_policy(session, enrolment_id)
    policy = Policy.model_validate(repo.writable_campaign(session, enrolment.campaign_id).policy)
    rows = store.school_submissions(session, enrolment_id)
    by_id = {s.id: s for s, _ in rows}
    required_items = store.required_items(session, enrolment.campaign_id)
    entries, proposed = [], []
    for decided in store.completed_grade_decisions(session, enrolment_id):
        submission = by_id[decided.submission_id]
        step = _grade_step(decided.kind, submission.status, policy.school_confirms_grades)
        if step is None:
            continue
        if decided.kind == TaskKind.SUBMISSION_GRADING or decided.decision.get("items"):
            submission.grade = _decided_grade(decided.decision, required_items[submission.micro_ability_id])
        submission.status = SubmissionStatus.PROPOSED if step == "propose_grade" else SubmissionStatus.GRADED
        if step == "propose_grade":
            proposed.append(submission)
        entries.append(AuditEntry(
            campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment_id, actor=decided.decided_by or actor,
            event=step, payload={"submission_id": submission.id, "task_id": decided.id, "grade": submission.grade},
            flow_run_id=flow_run_id, command_key=f"task:{decided.id}:grade",
        ))
    _open_confirmations(session, enrolment, policy, proposed)
    _roll_up_teachers(rows, policy.choices.per_teacher_min)
    if entries:
        repo.append_audit(session, entries)
    return len(entries)


def _grade_step(kind: TaskKind, status: SubmissionStatus, school_confirms: bool) -> str | None:
    """What a completed grading or confirmation does to a submission in this status (None: nothing, applied
    before)."""
    if kind == TaskKind.SUBMISSION_GRADING and status == SubmissionStatus.SUBMITTED:
        return "propose_grade" if school_confirms else "grade_submission"
    if kind == TaskKind.GRADE_CONFIRMATION and status == SubmissionStatus.PROPOSED:
        return "confirm_grade"
    return None


def _open_confirmations(session, enrolment, policy: Policy, proposed: list[Submission]) -> None:
    """The school admin's confirmation task for each newly proposed grade."""
    if not proposed:
        return
    now = utcnow()
    due = task_due_at(session, enrolment.campaign_id, policy, TaskKind.GRADE_CONFIRMATION, enrolment.school_id, now)
    _, role = TASK_ASSIGNMENT[TaskKind.GRADE_CONFIRMATION]
    session.add_all(HumanTask(
        campaign_id=enrolment.campaign_id, kind=TaskKind.GRADE_CONFIRMATION, school_enrolment_id=enrolment.id,
        submission_id=s.id, unit_id=enrolment.school_id, candidate_role=role, due_at=due,
        origin_key=f"submission:{s.id}:a{s.attempt}:confirmation") for s in proposed)


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


def open_presenter_verifications(uow: UnitOfWork, enrolment_id: int) -> int:
    """A presenter_verification task for the county expert per drawn presenter, on the work they present (their
    latest graded submission); opened once, however often the school is assessed; returns how many were new."""
    session = uow.session
    prior = store.audit_entry(session, f"presenters:{enrolment_id}")
    if prior is None or not prior.payload.get("presenters"):
        return 0
    enrolment, policy = store.enrolment_and_policy(session, enrolment_id)
    work = store.presenters_work(session, enrolment_id, list(prior.payload["presenters"]))
    keys = {f"presenter:{enrolment_id}:{username}": submission for username, submission in work.items()}
    existing = store.existing_origin_keys(session, keys)
    county = repo.ancestry_parents(session, enrolment.school_id)[enrolment.school_id]
    now = utcnow()
    due = task_due_at(session, enrolment.campaign_id, policy, TaskKind.PRESENTER_VERIFICATION, enrolment.school_id,
                      now)
    _, role = TASK_ASSIGNMENT[TaskKind.PRESENTER_VERIFICATION]
    new = [HumanTask(campaign_id=enrolment.campaign_id, kind=TaskKind.PRESENTER_VERIFICATION,
                     school_enrolment_id=enrolment_id, submission_id=submission, unit_id=county, candidate_role=role,
                     due_at=due, origin_key=key) for key, submission in keys.items() if key not in existing]
    session.add_all(new)
    return len(new)


def credit_teacher_hours(uow: UnitOfWork, enrolment_id: int) -> int:
    """Set credited hours to the policy total for every passed teacher of the school (idempotent)."""
    _, policy = store.enrolment_and_policy(uow.session, enrolment_id)
    return store.credit_passed_teachers(uow.session, enrolment_id, policy.hours.total_min)


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
        grades = [s.grade if s.status == SubmissionStatus.GRADED else None for s in by_ability.values()]
        teachers[teacher_id].result = teacher_result(grades, required)

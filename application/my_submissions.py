"""A teacher's own submissions: submit a micro-ability's evidence for grading, again after 不合格, or withdraw it
before it is graded."""
from collections.abc import Mapping

from application.my_work import SubmissionStanding, acting_teacher, submission_standing
from application.peer_reviews import assign_peer_review, reviews_owed
from application.school_review import open_grading_tasks
from infra import my_work as store
from infra import teacher_work
from infra.unit_of_work import UnitOfWork
from models.campaign import Submission
from models.clock import utcnow
from models.enums import SubmissionStatus, TaskKind, TaskStatus
from models.errors import NotFound, RulesViolated
from models.grading import peer_reviews_owed_first
from models.org import Principal
from models.policy import Policy
from models.submissions import GRADING_AT_ONCE, Attempt, SubmissionRequest, submission_problems, withdrawal_problem


def submit_my_work(uow: UnitOfWork, user: Principal, campaign: str, code: str,
                   offered: Mapping[str, int]) -> SubmissionStanding:
    """Submit your work for a chosen micro-ability, naming one of your uploads for it per required item (`offered`);
    a refusal names every rule broken (003: the peer reviews assigned to you come first). It opens a peer review for
    the least-loaded colleague where the policy asks, and during the school's review the grading task at once."""
    teacher, found, school_enrolment, _ = acting_teacher(uow, user, campaign)
    session = uow.session
    catalog = teacher_work.catalog(session, found.id)
    ability = catalog.get(code)
    if ability is None:
        raise NotFound(f"micro-ability '{code}' is not in campaign '{campaign}'s catalog")
    latest = store.latest_attempt(session, teacher.id, ability.id)
    policy = Policy.model_validate(found.policy)
    problems = submission_problems(SubmissionRequest(
        state=school_enrolment.state, code=code, choices=teacher.choices,
        latest=Attempt(latest.status, latest.grade) if latest else None, required_items=ability.evidence_items,
        offered=offered, uploaded=store.teacher_uploads(session, teacher.id, code),
        peer_review_shortfall=peer_reviews_owed_first(policy, reviews_owed(uow, found.id, user.username))))
    if problems:
        raise RulesViolated(problems)
    submission = Submission(teacher_enrolment_id=teacher.id, micro_ability_id=ability.id, evidence=dict(offered),
                            attempt=1 + teacher_work.submissions_of(session, teacher.id, ability.id))
    session.add(submission)
    session.flush()
    assign_peer_review(uow, submission, teacher, school_enrolment, policy)
    if school_enrolment.state in GRADING_AT_ONCE:
        open_grading_tasks(uow, school_enrolment.id)
    return submission_standing(code, submission)


def withdraw_my_submission(uow: UnitOfWork, user: Principal, campaign: str, submission_id: int) -> SubmissionStanding:
    """Withdraw your submission while it awaits a grade; its open grading and peer-review tasks are cancelled."""
    teacher, *_ = acting_teacher(uow, user, campaign)
    session = uow.session
    row = store.own_submission(session, teacher.id, submission_id)
    if row is None:
        raise NotFound(f"submission {submission_id} is not yours in campaign '{campaign}'")
    submission, code = row
    tasks = store.submission_tasks(session, submission.id)
    decided = any(t.kind == TaskKind.SUBMISSION_GRADING and t.status == TaskStatus.COMPLETED for t in tasks)
    problem = withdrawal_problem(submission.status, decided)
    if problem:
        raise problem
    now = utcnow()
    submission.status, submission.withdrawn_at = SubmissionStatus.WITHDRAWN, now
    for task in tasks:
        if task.status == TaskStatus.OPEN:
            task.status, task.completed_at, task.version = TaskStatus.CANCELLED, now, task.version + 1
    session.flush()
    return submission_standing(code, submission)

"""A school's teachers' progress table, for its management and the offices above: each teacher's choices, hours,
submissions and result, and what of theirs blocks the school's next declaration."""
from dataclasses import dataclass

from application.my_work import HoursStanding, SubmissionStanding, hours_standing, submissions_by_teacher
from infra import repository as repo
from infra import school_progress as store
from infra.teacher_work import catalog as campaign_catalog
from infra.unit_of_work import UnitOfWork
from models.access import within
from models.campaign import Campaign
from models.choices import teacher_choice_violations
from models.enums import Role, SubmissionStatus, TaskKind
from models.errors import OutOfScope
from models.org import Principal
from models.policy import Policy


@dataclass(frozen=True)
class Blocker:
    """Something of one teacher's that the school's declaration (`training_completion`, `county_application`)
    waits on."""

    declaration: str
    reason: str


@dataclass(frozen=True)
class TeacherProgress:
    """One row of the table."""

    username: str
    name: str
    withdrawn: bool
    choices: list[str]
    hours: HoursStanding
    submissions: list[SubmissionStanding]
    result: str | None
    peer_reviews_open: int
    blockers: list[Blocker]


def teachers_progress(uow: UnitOfWork, user: Principal, campaign: str, school: str) -> list[TeacherProgress]:
    """Every teacher of the school with their standing and blockers; for the school's admin and group leaders and
    everyone above the school (a teacher sees only their own, on GET /me: OutOfScope)."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    if user.role == Role.TEACHER or not within(user.unit_id, enrolment.school_id,
                                               repo.ancestry_parents(session, enrolment.school_id)):
        raise OutOfScope(f"the teachers' progress of school '{school}' is for its management and the offices above")
    policy = Policy.model_validate(session.get(Campaign, enrolment.campaign_id).policy)
    catalog = campaign_catalog(session, enrolment.campaign_id)
    school_set = (enrolment.plan or {}).get("micro_abilities")
    teachers = store.school_teachers(session, enrolment.id)
    submissions = submissions_by_teacher(uow, [t.id for t, _, _ in teachers])
    owed = store.reviews_owed(session, enrolment.id)
    rows = []
    for teacher, username, name in teachers:
        hours = hours_standing(teacher, policy)
        mine = submissions.get(teacher.id, [])
        blockers = [] if teacher.withdrawn_at else _blockers(
            hours, teacher_choice_violations(list(teacher.choices), catalog, policy.choices, school_set),
            mine, teacher.result)
        rows.append(TeacherProgress(username, name, teacher.withdrawn_at is not None, list(teacher.choices), hours,
                                    mine, str(teacher.result) if teacher.result else None, owed.get(username, 0),
                                    blockers))
    return rows


def _blockers(hours: HoursStanding, choice_problems: list, submissions: list[SubmissionStanding],
              result) -> list[Blocker]:
    """What the declarations' guards would name of this teacher (models/lifecycle.py: hours, choices, a result)."""
    found = []
    if hours.shortfall:
        found.append(Blocker(TaskKind.TRAINING_COMPLETION, f"hours: {hours.shortfall}"))
    found += [Blocker(TaskKind.TRAINING_COMPLETION, f"choices: {p.detail}") for p in choice_problems]
    if result is None:
        waiting = sorted({s.micro_ability for s in submissions
                          if s.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.PROPOSED)})
        found.append(Blocker(TaskKind.COUNTY_APPLICATION, "no result yet" + (
            f" (awaiting grades: {', '.join(waiting)})" if waiting else "")))
    return found

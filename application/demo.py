"""What the demo's simulated people read and decide outside a transition: where a school stands, the catalog, the
county's room for 优秀, and the group leader's grades of the school's submissions."""
from typing import NamedTuple

from infra import repository as repo
from infra import teacher_work
from infra.human_tasks import record_decision
from infra.unit_of_work import UnitOfWork
from models.campaign import Campaign, MicroAbility, Submission
from models.clock import utcnow
from models.enums import SchoolState, TaskKind
from models.lifecycle import TASK_OPENED_ON_ENTRY
from models.org import Unit
from models.policy import Policy
from models.simulation import DemoScript

SCHOOL_TASK_KINDS = tuple(TASK_OPENED_ON_ENTRY.values())


class SchoolStanding(NamedTuple):
    """Where a school stands: its state and version, its open lifecycle task if any, the campaign's policy as stored
    (validating it costs tens of milliseconds under a rubric: the caller does so when it needs the rules)."""

    state: SchoolState
    version: int
    task_id: int | None
    policy: dict


def school_standing(uow: UnitOfWork, campaign: str, school: str) -> SchoolStanding:
    """The school's state, version, open lifecycle task and policy, as the next decision needs them."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    task = next(iter(repo.open_tasks(session, enrolment.id, SCHOOL_TASK_KINDS)), None)
    policy = session.get(Campaign, enrolment.campaign_id).policy
    return SchoolStanding(SchoolState(enrolment.state), enrolment.version, task.id if task else None, policy)


def campaign_catalog(uow: UnitOfWork, campaign: str) -> dict[str, MicroAbility]:
    """The campaign's micro-abilities by code."""
    return teacher_work.catalog(uow.session, repo.campaign_by_code(uow.session, campaign).id)


def excellent_room(uow: UnitOfWork, campaign: str, school: str, policy: Policy) -> bool:
    """Whether the school's county may still grant 优秀 (the expert knows the county's count)."""
    if not policy.school_excellent_cap:
        return True
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    county = session.get(Unit, enrolment.school_id).parent_id
    cap = repo.county_excellent_cap(session, enrolment.campaign_id, county, policy.school_excellent_cap)
    return repo.excellent_granted(session, enrolment.campaign_id, county) < cap


def grade_submissions(uow: UnitOfWork, actor: str, campaign: str, school: str, script: DemoScript) -> int:
    """The group leader (`actor`) grades every open submission-grading task of the school as the script decides;
    how many were graded."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    graded = 0
    for task in repo.open_tasks(session, enrolment.id, [TaskKind.SUBMISSION_GRADING]):
        submission = session.get(Submission, task.submission_id)
        items = session.get(MicroAbility, submission.micro_ability_id).evidence_items
        grades = script.item_grades(school, submission.teacher_enrolment_id, items)
        graded += record_decision(session, task.id, {"items": grades}, actor, utcnow())
    return graded


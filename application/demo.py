"""What the demo's simulated people read and decide outside a transition: where a school stands, the catalog, the
county's room for 优秀, the group leader's grades of the school's submissions, and the admin's plan uploads."""
import hashlib
import io
from typing import NamedTuple

from application import evidence
from application.evidence import UploadRequest
from infra import repository as repo
from infra import teacher_work
from infra.evidence import EvidenceStore
from infra.evidence_records import PendingUpload
from infra.human_tasks import record_decision
from infra.unit_of_work import UnitOfWork
from models.campaign import Campaign, MicroAbility, Submission
from models.clock import utcnow
from models.enums import SchoolState, TaskKind
from models.lifecycle import TASK_OPENED_ON_ENTRY
from models.org import Principal, Unit
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


def confirm_grades(uow: UnitOfWork, actor: str, campaign: str, school: str) -> int:
    """The school admin (`actor`) confirms every grade the group leader proposed (two-level review); how many."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    return sum(record_decision(session, task.id, {"comment": "同意教研组评定"}, actor, utcnow())
               for task in repo.open_tasks(session, enrolment.id, [TaskKind.GRADE_CONFIRMATION]))


def verify_presenters(uow: UnitOfWork, actor: str, campaign: str, school: str) -> int:
    """The county expert (`actor`) confirms every drawn presenter of the school still to verify; how many."""
    session = uow.session
    enrolment = repo.school_enrolment(session, campaign, school)
    return sum(record_decision(session, task.id, {"outcome": "confirmed", "notes": "说课与成果一致"}, actor, utcnow())
               for task in repo.open_tasks(session, enrolment.id, [TaskKind.PRESENTER_VERIFICATION]))


def spot_check_office(uow: UnitOfWork, campaign: str) -> Principal:
    """The demo office that draws the campaign's spot check (the city's or the county's, as the policy says)."""
    policy = Policy.model_validate(repo.campaign_by_code(uow.session, campaign).policy)
    return repo.active_principal(uow.session, f"demo-{policy.spot_check_by}-office")


def _school_admin(uow: UnitOfWork, school: str) -> Principal:
    return repo.active_principal(uow.session, f"{school}-admin")


def begin_school_upload(uow: UnitOfWork, campaign: str, school: str, item: str, file_name: str,
                        body: bytes) -> PendingUpload:
    """The demo school's admin starts uploading one of the school's documents, a plan or a report (a direct upload:
    its pending row)."""
    wanted = UploadRequest(campaign, school, None, None, item, file_name, len(body), hashlib.sha256(body).hexdigest())
    return evidence.begin_direct_upload(uow, _school_admin(uow, school), wanted)


def store_school_upload(uow: UnitOfWork, store: EvidenceStore, school: str, upload: PendingUpload, body: bytes) -> int:
    """The admin's document stored, verified and recorded: its evidence id."""
    return evidence.store_direct_upload(uow, _school_admin(uow, school), store, upload, io.BytesIO(body)).evidence.id

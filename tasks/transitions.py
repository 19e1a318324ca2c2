"""Tasks of a school transition: read the school, commit the move, announce it."""
from dataclasses import dataclass

from prefect import task
from prefect.events import emit_event
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from infra import repository as repo
from infra.calendar import task_due_at
from infra.db import session_scope
from models.audit import AuditEntry
from models.assessment import school_facts
from models.campaign import Campaign, MicroAbility, PeerReview, SchoolEnrolment, TeacherEnrolment
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.enums import Grade, SchoolEvent, SchoolState, TaskStatus, UnitLevel
from models.errors import DomainError, RuleViolated, StaleState
from models.human_task import TASK_ASSIGNMENT, HumanTask
from models.lifecycle import TASK_OPENED_ON_ENTRY, TransitionContext
from models.org import Unit
from models.policy import Policy
from models.rules import TeacherStanding
from models.transition import TransitionOutcome, TransitionRequest
from tasks.common import TASK_DEFAULTS

SCHOOL_LEVEL_KINDS = frozenset(TASK_OPENED_ON_ENTRY.values())
APPEND_ATTEMPTS = 8


@dataclass(frozen=True)
class SchoolSnapshot:
    """A school as a transition sees it, read in one go."""

    enrolment_id: int
    campaign_id: int
    state: SchoolState
    version: int
    policy: Policy
    teachers: tuple[TeacherStanding, ...]
    units: dict[UnitLevel, int]
    command_key: str
    applied: TransitionOutcome | None
    catalog: dict[str, MicroAbility]
    school_set: tuple[str, ...] | None

    def context(self, request: TransitionRequest) -> TransitionContext:
        """The guard context for this request, with the facts a county assessment reads."""
        works = request.payload.get("works_sent_up")
        facts = school_facts(self.policy, self.teachers, self.catalog, self.school_set,
                             works if isinstance(works, int) and not isinstance(works, bool) else None)
        return TransitionContext(self.state, request.payload, self.policy, self.teachers, self.catalog,
                                 self.school_set, facts)


def _ancestry(session, school_id: int) -> dict[UnitLevel, int]:
    units: dict[UnitLevel, int] = {}
    unit_id: int | None = school_id
    while unit_id is not None:
        unit = session.get(Unit, unit_id)
        units[UnitLevel(unit.level)] = unit.id
        unit_id = unit.parent_id
    return units


def _outcome_of(entry: AuditEntry, school: str, version: int, duplicate: bool) -> TransitionOutcome:
    return TransitionOutcome(
        school=school, event=SchoolEvent(entry.event), from_state=SchoolState(entry.from_state),
        to_state=SchoolState(entry.to_state), version=version, audit_entry_id=entry.id,
        flow_run_id=entry.flow_run_id, duplicate=duplicate,
    )


@task(**TASK_DEFAULTS)
def load_school_snapshot(request: TransitionRequest) -> SchoolSnapshot:
    """Read the school's state, policy, teachers and whether this request was applied already.

    A request not applied yet is refused in a closed campaign (CampaignClosed); a replay of an applied one still
    answers its outcome.
    """
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, request.campaign, request.school)
        key = request.key(enrolment.version)
        prior = session.scalars(select(AuditEntry).where(AuditEntry.command_key == key)).first()
        campaign = session.get(Campaign, enrolment.campaign_id)
        if prior is None:
            refuse_if_closed(campaign.code, campaign.status, campaign.closed_at)
        if prior is None and request.expected_version not in (None, enrolment.version):
            raise StaleState(
                f"school '{request.school}' is at version {enrolment.version}, not {request.expected_version}"
            )
        teachers = session.scalars(
            select(TeacherEnrolment).where(TeacherEnrolment.school_enrolment_id == enrolment.id)
        ).all()
        reviewers = set(session.scalars(
            select(PeerReview.reviewer_enrolment_id)
            .join(TeacherEnrolment, TeacherEnrolment.id == PeerReview.reviewer_enrolment_id)
            .where(TeacherEnrolment.school_enrolment_id == enrolment.id)).all())
        catalog = {m.code: m for m in session.scalars(
            select(MicroAbility).where(MicroAbility.campaign_id == enrolment.campaign_id)).all()}
        session.expunge_all()
        school_set = (enrolment.plan or {}).get("micro_abilities")
        return SchoolSnapshot(
            enrolment_id=enrolment.id,
            campaign_id=enrolment.campaign_id,
            state=SchoolState(enrolment.state),
            version=enrolment.version,
            policy=Policy.model_validate(campaign.policy),
            teachers=tuple(
                TeacherStanding(t.online_hours, t.practice_hours, t.result, tuple(t.choices),
                                t.id in reviewers or len(teachers) == 1)
                for t in teachers
            ),
            units=_ancestry(session, enrolment.school_id),
            command_key=key,
            applied=_outcome_of(prior, request.school, enrolment.version, True) if prior else None,
            catalog=catalog,
            school_set=tuple(school_set) if school_set is not None else None,
        )


@task(**TASK_DEFAULTS)
def commit_school_transition(
    request: TransitionRequest, snapshot: SchoolSnapshot, to_state: SchoolState, flow_run_id: str | None
) -> TransitionOutcome:
    """In one transaction: move the school, close and open its human tasks, append the audit entry."""
    for attempt in range(APPEND_ATTEMPTS):
        try:
            return _commit_once(request, snapshot, to_state, flow_run_id)
        except IntegrityError:
            if attempt == APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _commit_once(request, snapshot: SchoolSnapshot, to_state: SchoolState, flow_run_id) -> TransitionOutcome:
    with session_scope() as session:
        prior = session.scalars(select(AuditEntry).where(AuditEntry.command_key == snapshot.command_key)).first()
        if prior is not None:
            version = session.get(SchoolEnrolment, snapshot.enrolment_id).version
            return _outcome_of(prior, request.school, version, True)
        now = utcnow()
        values = {"updated_at": now}
        if request.event == SchoolEvent.SUBMIT_PLAN:
            values["plan"] = dict(request.payload["plan"])
        if request.event in (SchoolEvent.PASS_COUNTY_ASSESSMENT, SchoolEvent.FAIL_COUNTY_ASSESSMENT):
            values["county_score"] = request.payload.get("score")
        if request.event == SchoolEvent.PASS_COUNTY_ASSESSMENT:
            values["county_grade"] = _county_grade(session, request, snapshot)
        if not repo.advance_school(session, snapshot.enrolment_id, snapshot.version, to_state, **values):
            repo.writable_campaign(session, snapshot.campaign_id)  # CampaignClosed if that is why
            raise StaleState(f"school '{request.school}' changed while '{request.event}' was being applied")
        _close_school_tasks(session, request, snapshot, now)
        _open_school_task(session, snapshot, to_state, now)
        entry = AuditEntry(
            campaign_id=snapshot.campaign_id, school_enrolment_id=snapshot.enrolment_id, actor=request.actor,
            event=request.event, from_state=snapshot.state, to_state=to_state, payload=request.payload,
            flow_run_id=flow_run_id, command_key=snapshot.command_key, created_at=now,
        )
        repo.append_audit(session, [entry])
        return _outcome_of(entry, request.school, snapshot.version + 1, False)


def _county_grade(session, request: TransitionRequest, snapshot: SchoolSnapshot) -> Grade:
    """合格, or 优秀 when asked for and the county's quota (003: 优秀等次控制在总数30%以内) has room."""
    if not request.payload.get("excellent"):
        return Grade.PASS
    share = snapshot.policy.school_excellent_cap
    county = snapshot.units[UnitLevel.COUNTY]
    cap = repo.county_excellent_cap(session, snapshot.campaign_id, county, share) if share else None
    if cap is not None and not repo.take_excellent_quota(session, snapshot.campaign_id, county, cap):
        raise RuleViolated("excellent_cap", f"the county has granted its {cap} excellent grade(s) "
                                            f"({share:.0%} of its schools)")
    return Grade.EXCELLENT


def _close_school_tasks(session, request: TransitionRequest, snapshot: SchoolSnapshot, now) -> None:
    open_tasks = HumanTask.school_enrolment_id == snapshot.enrolment_id, HumanTask.status == TaskStatus.OPEN
    if request.task_id is not None:
        task_row = session.get(HumanTask, request.task_id)
        decided_in_api = task_row is not None and task_row.status == TaskStatus.COMPLETED and task_row.decided_by
        if task_row is None or task_row.school_enrolment_id != snapshot.enrolment_id or not (
                task_row.status == TaskStatus.OPEN or decided_in_api):
            raise DomainError(f"task {request.task_id} is not an open task of school '{request.school}'")
        if task_row.status == TaskStatus.OPEN:  # decided outside the inbox (the demo, a script): record it here
            session.execute(
                update(HumanTask).where(HumanTask.id == request.task_id).values(
                    status=TaskStatus.COMPLETED, decision=request.payload, decided_by=request.actor,
                    completed_at=now, version=HumanTask.version + 1,
                )
            )
    kinds = None if request.event == SchoolEvent.CLOSE_OUT else SCHOOL_LEVEL_KINDS
    stmt = update(HumanTask).where(*open_tasks)
    if kinds is not None:
        stmt = stmt.where(HumanTask.kind.in_(kinds))
    session.execute(stmt.values(status=TaskStatus.CANCELLED, completed_at=now, version=HumanTask.version + 1))


def _open_school_task(session, snapshot: SchoolSnapshot, to_state: SchoolState, now) -> None:
    kind = TASK_OPENED_ON_ENTRY.get(to_state)
    if kind is None:
        return
    level, role = TASK_ASSIGNMENT[kind]
    session.add(HumanTask(
        campaign_id=snapshot.campaign_id, kind=kind, school_enrolment_id=snapshot.enrolment_id,
        unit_id=snapshot.units[level],
        candidate_role=role, due_at=task_due_at(session, snapshot.campaign_id, snapshot.policy, kind,
                                                snapshot.units[UnitLevel.SCHOOL], now),
        origin_key=f"school:{snapshot.enrolment_id}:v{snapshot.version + 1}:{kind}",
    ))


@task(**TASK_DEFAULTS)
def emit_school_event(request: TransitionRequest, outcome: TransitionOutcome) -> None:
    """Emit tisheng.school.<event> with the school, county and campaign as resources."""
    announce_school_move(request.event, request.campaign, request.county, request.school, request.actor,
                         outcome.from_state, outcome.to_state, outcome.version, outcome.audit_entry_id)


def announce_school_move(event: str, campaign: str, county: str, school: str, actor: str, from_state: str,
                         to_state: str, version: int, audit_entry_id: int) -> None:
    """The Prefect event of one school's move: the school as resource, its county and campaign as related."""
    emit_event(
        event=f"tisheng.school.{event}",
        resource={"prefect.resource.id": f"tisheng.school.{school}", "prefect.resource.name": school},
        related=[
            {"prefect.resource.id": f"tisheng.county.{county}", "prefect.resource.role": "county"},
            {"prefect.resource.id": f"tisheng.campaign.{campaign}", "prefect.resource.role": "campaign"},
        ],
        payload={"from": from_state, "to": to_state, "actor": actor, "version": version,
                 "audit_entry_id": audit_entry_id},
    )

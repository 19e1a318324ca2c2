"""School moves: read a school as a transition sees it, record one move, close out a batch — all through the one
writer (infra/school_moves.move_schools) — and the one retry loop for the audit chain."""
from dataclasses import dataclass


from infra import closeout_queries
from infra import repository as repo
from infra import school_moves as store
from infra import school_review as school_review_store
from infra.unit_of_work import UnitOfWork
from models.assessment import school_facts
from models.audit import AuditEntry
from models.campaign import Campaign, MicroAbility
from models.clock import utcnow
from models.closeout import ClosedOut, refuse_if_closed
from models.enums import Grade, SchoolEvent, SchoolState, UnitLevel
from models.errors import RuleViolated, StaleState
from models.lifecycle import TransitionContext, decide, prepare
from models.plan import PLAN_ITEM, REPORT_ITEM
from models.policy import Policy
from models.rules import TeacherStanding
from models.transition import TransitionOutcome, TransitionRequest

APPEND_ATTEMPTS = 8
"""How often a move is tried on a fresh chain head before a concurrent append's IntegrityError is let through."""


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
    plan_files: frozenset[int] = frozenset()
    report_files: frozenset[int] = frozenset()
    presenter_checks: tuple[tuple[str, str | None], ...] = ()

    def guard_input(self, request: TransitionRequest) -> TransitionContext:
        """The guard context for this request, with the facts a county assessment reads."""
        works = request.payload.get("works_sent_up")
        facts = school_facts(self.policy, self.teachers, self.catalog, self.school_set,
                             works if isinstance(works, int) and not isinstance(works, bool) else None)
        return TransitionContext(self.state, request.payload, self.policy, self.teachers, self.catalog,
                                 self.school_set, facts, self.plan_files, self.report_files,
                                 self.presenter_checks)

    context = guard_input  # the name bench/transitions.py calls



def read_school(uow: UnitOfWork, request: TransitionRequest) -> SchoolSnapshot:
    """The school's state, policy, teachers and whether this request was applied already; a request not applied yet
    is refused in a closed campaign (CampaignClosed) or at a version the school has left (StaleState)."""
    session = uow.session
    enrolment = repo.school_enrolment(session, request.campaign, request.school)
    key = request.key(enrolment.version)
    prior = store.applied_move(session, key)
    campaign = session.get(Campaign, enrolment.campaign_id)
    if prior is None:
        refuse_if_closed(campaign.code, campaign.status, campaign.closed_at)
    if prior is None and request.expected_version not in (None, enrolment.version):
        raise StaleState(f"school '{request.school}' is at version {enrolment.version}, not {request.expected_version}")
    school_set = (enrolment.plan or {}).get("micro_abilities")
    return SchoolSnapshot(
        enrolment_id=enrolment.id, campaign_id=enrolment.campaign_id, state=SchoolState(enrolment.state),
        version=enrolment.version, policy=Policy.model_validate(campaign.policy),
        teachers=store.teacher_standings(session, enrolment.id), units=store.unit_ancestry(session, enrolment.school_id),
        command_key=key, applied=_outcome_of(prior, request.school, enrolment.version, True) if prior else None,
        catalog=store.campaign_catalog(session, enrolment.campaign_id),
        school_set=tuple(school_set) if school_set is not None else None,
        plan_files=store.school_files(session, enrolment.id, PLAN_ITEM) if request.event == SchoolEvent.SUBMIT_PLAN
        else frozenset(),
        report_files=store.school_files(session, enrolment.id, REPORT_ITEM)
        if request.event == SchoolEvent.APPLY_FOR_COUNTY_ASSESSMENT else frozenset(),
        presenter_checks=school_review_store.presenter_checks(session, enrolment.id)
        if request.event == SchoolEvent.PASS_COUNTY_ASSESSMENT else (),
    )


def decide_move(snapshot: SchoolSnapshot, request: TransitionRequest) -> tuple[TransitionRequest, SchoolState]:
    """The lifecycle's verdict on a request (pure): the request with its prepared payload and the state it leads
    to, or the DomainError that refuses it."""
    context = prepare(snapshot.guard_input(request), request.event)
    return request.model_copy(update={"payload": dict(context.payload)}), decide(context, request.event)


def check_move(uow: UnitOfWork, request: TransitionRequest) -> None:
    """Refuse now, with every reason, what the dispatcher would refuse later (a school admin's declaration that
    waits on every teacher); the dispatcher checks again when it applies the move."""
    decide_move(read_school(uow, request), request)


def record_move(uow: UnitOfWork, request: TransitionRequest, snapshot: SchoolSnapshot, to_state: SchoolState,
                flow_run_id: str | None) -> TransitionOutcome:
    """Move the school (the actor is the request's), close and open its human tasks, append the audit entry; a
    request applied already answers its prior outcome (duplicate=True)."""
    session = uow.session
    prior = store.applied_move(session, snapshot.command_key)
    if prior is not None:
        return _outcome_of(prior, request.school, store.school_version(session, snapshot.enrolment_id), True)
    now = utcnow()
    values = {}
    if request.event == SchoolEvent.SUBMIT_PLAN:
        values["plan"] = dict(request.payload["plan"])
    if request.event in (SchoolEvent.PASS_COUNTY_ASSESSMENT, SchoolEvent.FAIL_COUNTY_ASSESSMENT):
        values["county_score"] = request.payload.get("score")
    if request.event == SchoolEvent.PASS_COUNTY_ASSESSMENT:
        values["county_grade"] = _county_grade(uow, request, snapshot)
    (entry,) = store.move_schools(session, [store.SchoolMove(
        enrolment_id=snapshot.enrolment_id, campaign_id=snapshot.campaign_id, school=request.school,
        event=request.event, from_state=snapshot.state, to_state=to_state, version=snapshot.version,
        actor=request.actor, command_key=snapshot.command_key, payload=request.payload, values=values,
        task_id=request.task_id, units=snapshot.units, policy=snapshot.policy)], now, flow_run_id)
    return _outcome_of(entry, request.school, snapshot.version + 1, False)


def close_out_next_schools(uow: UnitOfWork, actor: str, campaign_id: int, campaign: str, flow_run_id: str | None,
                           limit: int) -> list[ClosedOut]:
    """Close out the next `limit` unfinished schools of a closed campaign (empty when none are left)."""
    return closeout_queries.close_out_batch(uow.session, campaign_id, campaign, actor, flow_run_id, utcnow(), limit)


def _county_grade(uow: UnitOfWork, request: TransitionRequest, snapshot: SchoolSnapshot) -> Grade:
    """合格, or 优秀 when asked for and the county's quota (003: 优秀等次控制在总数30%以内) has room."""
    if not request.payload.get("excellent"):
        return Grade.PASS
    share = snapshot.policy.school_excellent_cap
    county = snapshot.units[UnitLevel.COUNTY]
    cap = repo.county_excellent_cap(uow.session, snapshot.campaign_id, county, share) if share else None
    if cap is not None and not repo.take_excellent_quota(uow.session, snapshot.campaign_id, county, cap):
        raise RuleViolated("excellent_cap", f"the county has granted its {cap} excellent grade(s) "
                                            f"({share:.0%} of its schools)")
    return Grade.EXCELLENT


def _outcome_of(entry: AuditEntry, school: str, version: int, duplicate: bool) -> TransitionOutcome:
    return TransitionOutcome(
        school=school, event=SchoolEvent(entry.event), from_state=SchoolState(entry.from_state),
        to_state=SchoolState(entry.to_state), version=version, audit_entry_id=entry.id,
        flow_run_id=entry.flow_run_id, duplicate=duplicate,
    )

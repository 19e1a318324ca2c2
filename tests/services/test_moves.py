"""The one writer of school moves on the fast tier: a single move, a refused one, a replay, a close-out batch, and
the one retry loop of the audit chain."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from application import moves
from application.concurrency import committed_with_retry
from infra import closeout_queries
from infra import repository as repo
from models.audit import AuditEntry, entry_digest
from models.catalog import load_catalog
from models.closeout import CLOSE_OUT_REASON
from models.enums import SchoolEvent, SchoolState, TaskKind, TaskStatus, UnitLevel
from models.errors import CampaignClosed, DomainError, StaleState
from models.human_task import HumanTask
from models.simulation import DemoScript
from models.evidence import Evidence
from models.plan import PLAN_FILES
from models.transition import TransitionRequest
from tests.support.plans import recorded_plan_files

CATALOG = {e.code: e for e in load_catalog()}


def request(demo, school: str, event: SchoolEvent, **kw) -> TransitionRequest:
    payload = kw.pop("payload", None)
    return TransitionRequest(campaign=demo.campaign, county=demo.county, school=school, event=event, actor="tester",
                             payload=payload or {}, **kw)


def filing(uow, demo, school: str, **kw) -> TransitionRequest:
    """The school files its plan, its three documents recorded as its plan files."""
    files = recorded_plan_files(uow.session, demo.campaign, school)
    return request(demo, school, SchoolEvent.SUBMIT_PLAN,
                   payload={"plan": DemoScript(0, [school]).plan(school, files, CATALOG)}, **kw)


def apply(uow, req: TransitionRequest):
    """What the transition flow does with one request, in the test's unit of work."""
    snapshot = moves.read_school(uow, req)
    if snapshot.applied is not None:
        return snapshot.applied
    req, to_state = moves.decide_move(snapshot, req)
    return moves.record_move(uow, req, snapshot, to_state, "run-1")


def tasks_of(uow, school: str, demo, *, including_enrolment: bool = False) -> list[HumanTask]:
    """The school's tasks that moves opened (and, if asked, the plan_submission its enrolment opened)."""
    enrolment = repo.school_enrolment(uow.session, demo.campaign, school)
    query = select(HumanTask).where(HumanTask.school_enrolment_id == enrolment.id)
    if not including_enrolment:
        query = query.where(HumanTask.kind != TaskKind.PLAN_SUBMISSION)
    return list(uow.session.scalars(query.order_by(HumanTask.id)).all())


def audit(uow) -> list[AuditEntry]:
    """The entries after the demo's set-up (its schools' enrolment)."""
    return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.event != "enrol_school")
                                    .order_by(AuditEntry.id)).all())


def test_a_move_moves_the_school_opens_its_task_and_seals_an_audit_entry_onto_the_head(uow, demo):
    school = demo.schools[0]
    head = repo.chain_head(uow.session)
    outcome = apply(uow, filing(uow, demo, school, expected_version=1))
    enrolment = repo.school_enrolment(uow.session, demo.campaign, school)
    uow.session.refresh(enrolment)
    assert (outcome.from_state, outcome.to_state, outcome.version, outcome.duplicate) == (
        SchoolState.PLAN_DRAFTING, SchoolState.PLAN_SUBMITTED, 2, False)
    assert (enrolment.state, enrolment.version) == (SchoolState.PLAN_SUBMITTED, 2)
    assert enrolment.plan["research_theme"]
    submission, task = tasks_of(uow, school, demo, including_enrolment=True)
    assert (submission.kind, submission.status) == (TaskKind.PLAN_SUBMISSION, TaskStatus.CANCELLED)
    units = moves.read_school(uow, request(demo, school, SchoolEvent.FILE_PLAN)).units
    assert (task.kind, task.status, task.unit_id, task.origin_key) == (
        TaskKind.PLAN_REVIEW, TaskStatus.OPEN, units[UnitLevel.COUNTY], f"school:{enrolment.id}:v2:plan_review")
    (entry,) = audit(uow)
    assert entry.id == outcome.audit_entry_id and entry.flow_run_id == "run-1"
    assert (entry.event, entry.from_state, entry.to_state, entry.actor) == (
        "submit_plan", "plan_drafting", "plan_submitted", "tester")
    assert entry.prev_hash == head and entry.entry_hash == entry_digest(entry, head)


def test_the_decided_task_is_completed_the_waiting_ones_cancelled_and_the_next_one_opened(uow, demo):
    school = demo.schools[0]
    apply(uow, filing(uow, demo, school))
    (review,) = tasks_of(uow, school, demo)
    outcome = apply(uow, request(demo, school, SchoolEvent.RETURN_PLAN, payload={"reason": "方案不完整"},
                                 task_id=review.id))
    assert outcome.to_state == SchoolState.PLAN_RETURNED
    review_after, revision = tasks_of(uow, school, demo)
    uow.session.refresh(review_after)
    assert (review_after.status, review_after.decided_by, review_after.decision, review_after.version) == (
        TaskStatus.COMPLETED, "tester", {"reason": "方案不完整"}, 2)
    assert (revision.kind, revision.status) == (TaskKind.PLAN_REVISION, TaskStatus.OPEN)
    first, second = audit(uow)
    assert second.prev_hash == first.entry_hash and second.command_key == f"task:{review.id}:return_plan"


def test_a_task_of_another_school_is_refused_and_nothing_moves(uow, demo):
    apply(uow, filing(uow, demo, demo.schools[0]))
    apply(uow, filing(uow, demo, demo.schools[1]))
    (other_task,) = tasks_of(uow, demo.schools[1], demo)
    with pytest.raises(DomainError, match=f"task {other_task.id} is not an open task of school"):
        apply(uow, request(demo, demo.schools[0], SchoolEvent.FILE_PLAN, task_id=other_task.id))


def test_a_move_at_a_version_the_school_has_left_is_refused(uow, demo):
    school = demo.schools[0]
    stale = moves.read_school(uow, filing(uow, demo, school))  # at version 1
    apply(uow, filing(uow, demo, school, expected_version=1))
    with pytest.raises(StaleState, match="at version 2, not 1"):
        moves.read_school(uow, request(demo, school, SchoolEvent.FILE_PLAN, expected_version=1))
    other = filing(uow, demo, school, command_key="another-submission")
    snapshot = moves.SchoolSnapshot(**{**stale.__dict__, "command_key": "another-submission"})
    with pytest.raises(StaleState, match="changed while 'submit_plan' was being applied"):
        moves.record_move(uow, other, snapshot, SchoolState.PLAN_SUBMITTED, None)
    assert len(audit(uow)) == 1


def test_a_duplicate_command_key_answers_the_prior_outcome_and_writes_nothing(uow, demo):
    school = demo.schools[0]
    req = filing(uow, demo, school, expected_version=1)
    snapshot = moves.read_school(uow, req)
    first = moves.record_move(uow, req, snapshot, SchoolState.PLAN_SUBMITTED, "run-1")
    again = moves.record_move(uow, req, snapshot, SchoolState.PLAN_SUBMITTED, "run-2")  # e.g. a Prefect retry
    replay = moves.read_school(uow, req).applied
    assert again.duplicate and replay.duplicate and not first.duplicate
    assert again.audit_entry_id == replay.audit_entry_id == first.audit_entry_id
    assert again.flow_run_id == "run-1" and again.version == 2
    assert len(audit(uow)) == 1 and len(tasks_of(uow, school, demo)) == 1


def test_no_move_in_a_closed_campaign(uow, demo):
    school = demo.schools[0]
    req = filing(uow, demo, school)
    snapshot = moves.read_school(uow, req)
    campaign = repo.campaign_by_code(uow.session, demo.campaign)
    closeout_queries.freeze(uow.session, campaign.id, campaign.created_at)
    with pytest.raises(CampaignClosed):
        moves.record_move(uow, req, snapshot, SchoolState.PLAN_SUBMITTED, None)
    with pytest.raises(CampaignClosed):
        moves.read_school(uow, req)


def test_a_close_out_batch_moves_every_live_school_cancels_its_tasks_and_chains_one_entry_each(uow, demo):
    apply(uow, filing(uow, demo, demo.schools[0]))
    campaign = repo.campaign_by_code(uow.session, demo.campaign)
    closeout_queries.freeze(uow.session, campaign.id, campaign.created_at)
    closed = moves.close_out_next_schools(uow, "closer", campaign.id, demo.campaign, "run-9", 10)
    assert [(c.school, c.from_state, c.to_state, c.version, c.county) for c in closed] == [
        (demo.schools[0], "plan_submitted", "incomplete", 3, demo.county),
        (demo.schools[1], "plan_drafting", "incomplete", 2, demo.county)]
    (review,) = tasks_of(uow, demo.schools[0], demo)
    uow.session.refresh(review)
    assert review.status == TaskStatus.CANCELLED
    submitted, first, second = audit(uow)
    assert [e.id for e in (first, second)] == [c.audit_entry_id for c in closed]
    assert first.prev_hash == submitted.entry_hash and second.prev_hash == first.entry_hash
    assert second.entry_hash == entry_digest(second, first.entry_hash)
    assert (first.command_key, first.payload, first.actor, first.flow_run_id) == (
        f"{demo.campaign}:close_out:{demo.schools[0]}", {"reason": CLOSE_OUT_REASON}, "closer", "run-9")
    assert moves.close_out_next_schools(uow, "closer", campaign.id, demo.campaign, None, 10) == []


class FakeUnitOfWork:
    """Counts units of work and their commits."""

    opened: list["FakeUnitOfWork"] = []

    def __init__(self):
        self.committed = False
        FakeUnitOfWork.opened.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def commit(self):
        self.committed = True


def test_the_retry_loop_tries_a_taken_chain_head_again_in_a_fresh_unit_of_work():
    FakeUnitOfWork.opened = []
    calls = []

    def step(uow, value):
        calls.append(uow)
        if len(calls) < 3:
            raise IntegrityError("INSERT auditentry", {}, Exception("prev_hash is not unique"))
        return value

    assert committed_with_retry(step, "moved", unit_of_work=FakeUnitOfWork) == "moved"
    assert calls == FakeUnitOfWork.opened and len(set(map(id, calls))) == 3
    assert [u.committed for u in calls] == [False, False, True]


def test_the_retry_loop_gives_up_after_its_attempts_and_never_retries_a_refusal():
    FakeUnitOfWork.opened = []

    def taken(uow):
        raise IntegrityError("INSERT auditentry", {}, Exception("prev_hash is not unique"))

    with pytest.raises(IntegrityError):
        committed_with_retry(taken, attempts=4, unit_of_work=FakeUnitOfWork)
    assert len(FakeUnitOfWork.opened) == 4

    FakeUnitOfWork.opened = []

    def refused(uow):
        raise StaleState("moved meanwhile")

    with pytest.raises(StaleState):
        committed_with_retry(refused, unit_of_work=FakeUnitOfWork)
    assert len(FakeUnitOfWork.opened) == 1


def test_a_close_out_racing_a_move_is_stale_not_closed_so_the_batch_is_tried_again(uow, demo):
    from infra.school_moves import SchoolMove, move_schools

    campaign = repo.campaign_by_code(uow.session, demo.campaign)
    enrolment = repo.school_enrolment(uow.session, demo.campaign, demo.schools[0])
    closeout_queries.freeze(uow.session, campaign.id, campaign.created_at)
    raced = SchoolMove(enrolment_id=enrolment.id, campaign_id=campaign.id, school=demo.schools[0],
                       event=SchoolEvent.CLOSE_OUT, from_state=SchoolState.PLAN_DRAFTING,
                       to_state=SchoolState.INCOMPLETE, version=enrolment.version - 1, actor="closer", command_key="k")
    with pytest.raises(StaleState, match="batch is rolled back|changed while"):
        move_schools(uow.session, [raced], campaign.created_at, None, closing_campaign=True)


def test_a_plan_task_shows_every_filing_newest_first_with_its_documents(uow, demo):
    from application.plan_filings import task_plans
    from models.errors import NotFound

    school = demo.schools[0]
    first = filing(uow, demo, school)
    apply(uow, first)
    (review,) = tasks_of(uow, school, demo)
    apply(uow, request(demo, school, SchoolEvent.RETURN_PLAN, payload={"reason": "方案不完整"}, task_id=review.id))
    revision = tasks_of(uow, school, demo)[-1]
    office = repo.principal_of(uow.session, "demo-county-office")[0]
    (returned,) = task_plans(uow, office, revision.id)
    assert [d.field for d in returned.documents] == ["development_plan", "research_plan", "assessment_plan"]
    assert [d.evidence.id for d in returned.documents] == [first.payload["plan"][f] for f in PLAN_FILES]

    old = returned.documents[0].evidence
    newer = Evidence(campaign_id=old.campaign_id, school_enrolment_id=old.school_enrolment_id, item=old.item,
                     key=f"{old.key}-v2", version_id="v2", size=old.size, sha256=old.sha256,
                     content_type=old.content_type, original_name="发展规划（修订）.pdf", uploaded_by=old.uploaded_by)
    uow.session.add(newer)
    uow.session.flush()
    second = filing(uow, demo, school)
    second = second.model_copy(update={"payload": {"plan": {**second.payload["plan"], "development_plan": newer.id}}})
    apply(uow, second)
    latest = tasks_of(uow, school, demo)[-1]
    newest, earlier = task_plans(uow, office, latest.id)
    assert (newest.documents[0].evidence.id, earlier.documents[0].evidence.id) == (newer.id, first.payload["plan"][
        "development_plan"])
    assert newest.filed_at >= earlier.filed_at and newest.plan["development_plan"] == newer.id
    outsider = repo.principal_of(uow.session, f"{demo.schools[1]}-admin")[0]
    with pytest.raises(NotFound):
        task_plans(uow, outsider, latest.id)

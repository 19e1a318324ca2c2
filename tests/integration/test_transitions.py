"""One transition flow run: idempotent, race-safe, refusing illegal and guarded moves without a trace."""
import pytest
from sqlalchemy import func, select

from flows.demo import set_up_demo_campaign
from flows.transition import run_transition
from infra import repository as repo
from infra.db import session_scope
from models.audit import AuditEntry
from models.enums import SchoolEvent as E, SchoolState as S, TaskKind, TaskStatus
from models.errors import DomainError, GuardRejected, IllegalTransition, StaleState
from models.human_task import HumanTask
from models.transition import TransitionRequest
from tests.support.plans import plan_of

SCHOOL = "DEMO-X1-S001"


@pytest.fixture
def campaign(database, prefect_harness, campaign_code) -> str:
    set_up_demo_campaign(campaign_code, "yanzhou-2022", schools=2, teachers=2)
    return campaign_code


def request(campaign, event, payload=None, **extra) -> TransitionRequest:
    return TransitionRequest(campaign=campaign, county="DEMO-C1-X1", school=extra.pop("school", SCHOOL),
                             event=event, actor="tester", payload=payload or {}, **extra)


def school(campaign, code=SCHOOL):
    with session_scope() as session:
        enrolment = repo.school_enrolment(session, campaign, code)
        entries = session.scalar(select(func.count()).select_from(AuditEntry).where(  # its moves, not its enrolment
            AuditEntry.school_enrolment_id == enrolment.id, AuditEntry.event != "enrol_school"))
        tasks = session.scalars(select(HumanTask).where(HumanTask.school_enrolment_id == enrolment.id)
                                .order_by(HumanTask.id)).all()
        return enrolment.state, enrolment.version, entries, tasks


def open_task(tasks, kind):
    return next(t for t in tasks if t.kind == kind and t.status == TaskStatus.OPEN)


def test_applying_the_same_request_twice_changes_nothing_the_second_time(campaign):
    submit = request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}, expected_version=1)
    first = run_transition(submit)
    second = run_transition(submit)
    assert (first.to_state, first.duplicate) == (S.PLAN_SUBMITTED, False)
    assert second.duplicate and second.audit_entry_id == first.audit_entry_id
    assert second.flow_run_id == first.flow_run_id
    state, version, entries, tasks = school(campaign)
    assert (state, version, entries) == (S.PLAN_SUBMITTED, 2, 1)
    assert [(t.kind, t.status) for t in tasks] == [  # the decision was not its task's: the task is cancelled
        (TaskKind.PLAN_SUBMISSION, TaskStatus.CANCELLED), (TaskKind.PLAN_REVIEW, TaskStatus.OPEN)]


def test_completing_the_task_closes_it_and_opens_the_next(campaign):
    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}, expected_version=1))
    review = open_task(school(campaign)[3], TaskKind.PLAN_REVIEW)
    run_transition(request(campaign, E.RETURN_PLAN, {"reason": "主题不清"}, task_id=review.id))
    tasks = school(campaign)[3]
    assert [(t.kind, t.status) for t in tasks] == [(TaskKind.PLAN_SUBMISSION, TaskStatus.CANCELLED),
        (TaskKind.PLAN_REVIEW, TaskStatus.COMPLETED), (TaskKind.PLAN_REVISION, TaskStatus.OPEN)]
    assert tasks[1].decision == {"reason": "主题不清"} and tasks[1].decided_by == "tester"


def test_a_stale_version_is_refused(campaign):
    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}, expected_version=1))
    with pytest.raises(StaleState):
        run_transition(request(campaign, E.FILE_PLAN, expected_version=1))
    assert school(campaign)[:3] == (S.PLAN_SUBMITTED, 2, 1)


def test_an_illegal_event_names_state_and_event_and_leaves_no_trace(campaign):
    with pytest.raises(IllegalTransition, match="'file_plan' is not allowed in state 'plan_drafting'"):
        run_transition(request(campaign, E.FILE_PLAN))
    assert school(campaign)[:3] == (S.PLAN_DRAFTING, 1, 0)


def test_a_guard_refusal_leaves_no_trace(campaign):
    with pytest.raises(GuardRejected, match="plan_is_complete"):
        run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": {**plan_of(campaign), "assessment_plan": None}}))
    assert school(campaign)[:3] == (S.PLAN_DRAFTING, 1, 0)


def test_a_task_of_another_school_is_refused(campaign):
    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign, "DEMO-X1-S002")}, school="DEMO-X1-S002"))
    other_task = open_task(school(campaign, "DEMO-X1-S002")[3], TaskKind.PLAN_REVIEW)
    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}))
    with pytest.raises(DomainError, match="not an open task"):
        run_transition(request(campaign, E.FILE_PLAN, task_id=other_task.id))
    assert school(campaign)[:3] == (S.PLAN_SUBMITTED, 2, 1)


def test_close_out_ends_the_school_and_cancels_its_tasks(campaign):
    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}))
    outcome = run_transition(request(campaign, E.CLOSE_OUT))
    state, _, _, tasks = school(campaign)
    assert outcome.to_state == state == S.INCOMPLETE
    assert [(t.kind, t.status) for t in tasks] == [(TaskKind.PLAN_SUBMISSION, TaskStatus.CANCELLED),
                                                   (TaskKind.PLAN_REVIEW, TaskStatus.CANCELLED)]
    with pytest.raises(IllegalTransition):
        run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}))


def test_of_two_concurrent_decisions_exactly_one_wins(campaign):
    from concurrent.futures import ThreadPoolExecutor

    from models.audit import verify_chain

    run_transition(request(campaign, E.SUBMIT_PLAN, {"plan": plan_of(campaign)}, expected_version=1))
    contenders = [request(campaign, E.FILE_PLAN, expected_version=2),
                  request(campaign, E.RETURN_PLAN, {"reason": "并发"}, expected_version=2)]

    def attempt(req):
        try:
            return run_transition(req)
        except StaleState as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(attempt, contenders))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and sum(isinstance(r, StaleState) for r in results) == 1
    state, version, entries, _ = school(campaign)
    assert (state, version, entries) == (winners[0].to_state, 3, 2)
    with session_scope() as session:
        assert verify_chain(repo.audit_entries(session)).ok

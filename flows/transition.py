"""Flows that apply lifecycle transitions: one school per run, or many schools in one run."""
from prefect import flow, tags
from prefect.runtime import flow_run

from application.moves import decide_move
from flows.evidence import lock_school_evidence, release_school_evidence, retain_school_evidence
from models.enums import SchoolEvent
from models.errors import DomainError
from models.lifecycle import EFFECTS_ON_ENTRY, Effect
from models.transition import MoveUnfinished, TransitionOutcome, TransitionRequest, UnfinishedMove
from tasks.credits import credit_teacher_hours
from tasks.grading import draw_school_presenters, open_grading_tasks, open_presenter_verifications
from tasks.transitions import commit_school_transition, emit_school_event, load_school_snapshot

EFFECT_TASKS = {
    Effect.OPEN_GRADING_TASKS: open_grading_tasks,
    Effect.DRAW_PRESENTERS: draw_school_presenters,
    Effect.OPEN_PRESENTER_VERIFICATIONS: open_presenter_verifications,
    Effect.CREDIT_TEACHER_HOURS: credit_teacher_hours,
    Effect.HOLD_EVIDENCE: lock_school_evidence,
    Effect.RELEASE_EVIDENCE: release_school_evidence,
    Effect.RETAIN_EVIDENCE: retain_school_evidence,
}
"""Tasks (or subflows, for work over many evidence objects) each state's entry runs."""


def transition_tags(request: TransitionRequest) -> list[str]:
    """Tags that say which campaign, county, school and transition a run is about."""
    return ["tisheng", f"campaign:{request.campaign}", f"county:{request.county}",
            f"school:{request.school}", f"transition:{request.event}"]


def _transition_run_name() -> str:
    request = flow_run.parameters["request"]
    data = request if isinstance(request, dict) else request.model_dump()
    return f"{SchoolEvent(data['event'])} · {data['school']}"


def apply_one(request: TransitionRequest) -> TransitionOutcome:
    """Guard, commit, side effects and event for one request (inside a flow run)."""
    snapshot = load_school_snapshot(request)
    outcome = snapshot.applied
    if outcome is None:
        request, to_state = decide_move(snapshot, request)
        outcome = commit_school_transition(request, snapshot, to_state, flow_run.get_id())
    try:
        if not outcome.duplicate:
            emit_school_event(request, outcome)
        for effect in EFFECTS_ON_ENTRY.get(outcome.to_state, ()):
            EFFECT_TASKS[effect](snapshot.enrolment_id)
    except Exception as exc:  # after the commit nothing is refused any more: the work is resumed by a replay
        raise MoveUnfinished(request.school, exc) from exc
    return outcome


@flow(name="school-transition", flow_run_name=_transition_run_name, persist_result=False)
def apply_school_transition(request: TransitionRequest) -> TransitionOutcome:
    """Apply one decision to one school; applying the same request again changes nothing."""
    return apply_one(request)


def run_transition(request: TransitionRequest) -> TransitionOutcome:
    """Run the transition flow in-process, tagged with its campaign, county, school and event."""
    with tags(*transition_tags(request)):
        return apply_school_transition(request)


@flow(name="school-transitions-bulk", flow_run_name="{label}", persist_result=False)
def apply_school_transitions(requests: list[TransitionRequest],
                             label: str) -> list[TransitionOutcome | UnfinishedMove | str]:
    """Apply many requests in one run; a refused one yields its error text, one whose move is recorded but whose
    follow-up work failed an UnfinishedMove, and the rest go on."""
    results: list[TransitionOutcome | UnfinishedMove | str] = []
    for request in requests:
        try:
            results.append(apply_one(request))
        except MoveUnfinished as exc:
            results.append(UnfinishedMove(school=request.school, error=str(exc)))
        except DomainError as exc:
            results.append(f"{request.school}: {exc.detail}")
    return results

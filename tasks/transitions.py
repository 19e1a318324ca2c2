"""Tasks of a school transition: read the school, commit the move, announce it."""
from prefect import task
from prefect.events import emit_event

from application.concurrency import committed_with_retry
from application import moves
from application.moves import SchoolSnapshot
from infra.unit_of_work import committed
from models.enums import SchoolState
from models.transition import TransitionOutcome, TransitionRequest
from tasks.common import TASK_DEFAULTS

@task(**TASK_DEFAULTS)
def load_school_snapshot(request: TransitionRequest) -> SchoolSnapshot:
    """Read the school's state, policy, teachers and whether this request was applied already.

    A request not applied yet is refused in a closed campaign (CampaignClosed); a replay of an applied one still
    answers its outcome.
    """
    return committed(moves.read_school, request)


@task(**TASK_DEFAULTS)
def commit_school_transition(
    request: TransitionRequest, snapshot: SchoolSnapshot, to_state: SchoolState, flow_run_id: str | None
) -> TransitionOutcome:
    """In one transaction: move the school, close and open its human tasks, append the audit entry (tried again on
    a new chain head when a concurrent append took it)."""
    return committed_with_retry(moves.record_move, request, snapshot, to_state, flow_run_id,
                                attempts=moves.APPEND_ATTEMPTS)


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

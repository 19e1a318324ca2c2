"""The spot-check draw: the office the policy names samples the locked schools of its unit (000: 市工程办…进行抽查;
002/003: 区教体局…按照不低于10％的比例抽查), each school's move queued in the outbox like any decision."""
import secrets
from dataclasses import dataclass

from application.campaigns import campaign_in_reach
from infra import spot_check_draws as store
from infra.human_tasks import complete_and_queue
from infra.unit_of_work import UnitOfWork
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.errors import OutOfScope, TaskConflict
from models.human_task import SPOT_CHECKERS
from models.org import Principal
from models.outbox import OutboxEntry
from models.policy import Policy
from models.sampling import population_hash
from models.spot_check import DrawnSchool, spot_check_draw

SEEDS = 2**31
"""Seeds are drawn from [0, 2³¹) when the office gives none."""


@dataclass(frozen=True)
class SpotCheckDraw:
    """A recorded draw: its seed (given or drawn), the ratio, the hash of the whole population drawn from, and each
    school's outcome with its queued decision."""

    campaign: str
    seed: int
    ratio: float
    population_hash: str
    schools: list[tuple[DrawnSchool, OutboxEntry]]


def draw_spot_checks(uow: UnitOfWork, user: Principal, campaign: str, seed: int | None) -> SpotCheckDraw:
    """Draw the spot check over the caller's waiting locked schools and queue each school's move; of two draws at
    once, one wins and the other is refused (TaskConflict), so no school is drawn twice."""
    session = uow.session
    row, _, _ = campaign_in_reach(uow, user, campaign)
    refuse_if_closed(row.code, row.status, row.closed_at)
    policy = Policy.model_validate(row.policy)
    office, _ = SPOT_CHECKERS[policy.spot_check_by]
    if user.role != office:
        raise OutOfScope(f"the spot-check draw of campaign '{campaign}' is the {policy.spot_check_by} office's "
                         f"(policy {policy.name}), not a {user.role}'s")
    waiting = store.waiting_schools(session, row.id, user.unit_id)
    if not waiting:
        raise TaskConflict(f"no locked school of your unit waits for a spot-check draw in campaign '{campaign}'")
    seed = secrets.randbelow(SEEDS) if seed is None else seed
    population: dict[str, list[str]] = {}
    for school in waiting:
        population.setdefault(school.county, []).append(school.school)
    earlier = store.earlier_draws(session, [s.enrolment_id for s in waiting])
    codes = {s.enrolment_id: s.school for s in waiting}
    drawn = spot_check_draw(population, {codes[e]: sampled for e, sampled in earlier.items()},
                            policy.spot_check_ratio, seed)
    by_code = {s.school: s for s in waiting}
    now = utcnow()
    queued = [(school, _queue(session, user, campaign, by_code[school.school], school, now)) for school in drawn]
    return SpotCheckDraw(campaign, seed, policy.spot_check_ratio,
                         population_hash(s.school for s in waiting), queued)


def _queue(session, user: Principal, campaign: str, task: store.WaitingSchool, school: DrawnSchool,
           now) -> OutboxEntry:
    """Complete the school's draw task with its outcome and queue the move; TaskConflict if it was taken meanwhile."""
    decision = {"kind": "spot_check_draw", "outcome": "sample" if school.sampled else "skip", **school.payload}
    entry = OutboxEntry(task_id=task.task_id, task_attempt=task.decided_attempts + 1, campaign=campaign,
                        county=school.county, school=school.school, event=school.event, payload=school.payload,
                        actor=user.username)
    entry.id = complete_and_queue(session, entry, {
        "task_id": task.task_id, "expected": task.version, "next": task.version + 1, "actor": user.username,
        "decision": decision, "now": now})
    if entry.id is None:
        raise TaskConflict(f"school '{school.school}' was drawn by another draw just now; draw again")
    return entry

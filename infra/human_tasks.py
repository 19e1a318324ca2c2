"""The one place a human task is completed: the conditional UPDATE (open, at the expected version, unclaimed or
claimed by the decider), with its outbox row for an inbox decision."""
from sqlalchemy import bindparam, insert, or_, select, update
from sqlmodel import Session

from models.enums import TaskStatus
from models.human_task import HumanTask
from models.outbox import OutboxEntry

_tasks = HumanTask.__table__
# Statements built once with bound parameters: building them per request cost more than running them.
_COMPLETE_TASK = update(_tasks).where(
    _tasks.c.id == bindparam("task_id"), _tasks.c.status == TaskStatus.OPEN, _tasks.c.version == bindparam("expected"),
    or_(_tasks.c.claimed_by.is_(None), _tasks.c.claimed_by == bindparam("actor")),
).values(status=TaskStatus.COMPLETED, decision=bindparam("decision"), decided_by=bindparam("actor"),
         completed_at=bindparam("now"), version=bindparam("next"))
_outbox = OutboxEntry.__table__
_INSERT_OUTBOX = insert(_outbox).returning(_outbox.c.id)
_QUEUED_COLUMNS = [c.name for c in _outbox.c if c.name not in ("id", "task_id")]
_done = _COMPLETE_TASK.returning(_tasks.c.id).cte("done")
_COMPLETE_AND_QUEUE = insert(_outbox).from_select(
    ["task_id", *_QUEUED_COLUMNS],
    select(_done.c.id, *(bindparam(f"q_{name}", type_=_outbox.c[name].type) for name in _QUEUED_COLUMNS)),
).returning(_outbox.c.id)


def complete_and_queue(session: Session, entry: OutboxEntry, task_params: dict) -> int | None:
    """Complete the task (conditionally) and insert its outbox row; the row's id, or None if the task was taken.

    PostgreSQL does both in one statement (a data-modifying CTE), i.e. one round trip; SQLite in two.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        queued = {f"q_{name}": value for name, value in entry.model_dump(include=set(_QUEUED_COLUMNS)).items()}
        return connection.execute(_COMPLETE_AND_QUEUE, {**task_params, **queued}).scalar()
    if not connection.execute(_COMPLETE_TASK, task_params).rowcount:
        return None
    return connection.execute(_INSERT_OUTBOX, entry.model_dump(exclude={"id"})).scalar_one()


def record_decision(session: Session, task_id: int, decision: dict, actor: str, now, expected: int | None = None) -> bool:
    """Complete an open task with a decision made outside the inbox (the demo, a move's own request); False when it
    was not open (or not at `expected`) any more."""
    task = session.get(HumanTask, task_id)
    if task is None or task.status != TaskStatus.OPEN or expected not in (None, task.version):
        return False
    version = task.version
    session.expire(task)
    return session.connection().execute(_COMPLETE_TASK, {
        "task_id": task_id, "expected": version, "next": version + 1, "actor": actor, "decision": decision,
        "now": now}).rowcount == 1

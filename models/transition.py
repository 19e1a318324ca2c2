"""What a caller asks of a school transition and what it gets back (pure data)."""
from typing import Any

from pydantic import BaseModel, Field

from models.enums import SchoolEvent, SchoolState


class TransitionRequest(BaseModel):
    """One decision to apply to one school: who, what event, with which payload."""

    campaign: str
    county: str
    school: str
    event: SchoolEvent
    actor: str
    payload: dict[str, Any] = Field(default_factory=dict)
    expected_version: int | None = None
    task_id: int | None = None
    command_key: str | None = None

    def key(self, current_version: int) -> str:
        """The idempotency key: explicit, else derived from the task or the version the caller saw."""
        if self.command_key:
            return self.command_key
        if self.task_id is not None:
            return f"task:{self.task_id}:{self.event}"
        return f"{self.campaign}:{self.school}:v{self.expected_version or current_version}:{self.event}"


class TransitionOutcome(BaseModel):
    """The result of applying a request; duplicate=True when it had been applied already."""

    school: str
    event: SchoolEvent
    from_state: SchoolState
    to_state: SchoolState
    version: int
    audit_entry_id: int
    flow_run_id: str | None
    duplicate: bool = False


class MoveUnfinished(Exception):
    """The move is recorded, but the work its new state starts (holds, tasks, credits, the event) failed: applying
    the same request again replays the move and resumes that work. Not a refusal."""

    def __init__(self, school: str, cause: BaseException):
        super().__init__(f"{school}: moved, but its follow-up work failed: {type(cause).__name__}: {cause}")
        self.school = school


class UnfinishedMove(BaseModel):
    """A bulk run's answer for a request whose move is recorded and whose follow-up work is to be retried."""

    school: str
    error: str

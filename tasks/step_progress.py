"""Progress of runs: the one reporter (application/progress_reporting.py, a listener per channel in a context
variable) under the names tasks, flows and the CLI use, and the tasks that publish a run's progress artifact."""
from uuid import UUID

from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from application.progress_reporting import (
    CLOSEOUT, PROGRESS_TABLES, STEPS, StepCount, closeout_progress, listening, progress_tables, report, report_step,
)
from tasks.common import TASK_DEFAULTS

__all__ = ["CLOSEOUT", "PROGRESS_TABLES", "STEPS", "RunProgress", "closeout_progress", "listening",
           "progress_tables", "report", "report_step"]


@task(**TASK_DEFAULTS)
def create_progress(key: str, description: str) -> UUID:
    """Create the run's progress artifact at 0 %."""
    return create_progress_artifact(0.0, key=key, description=description)


@task(**TASK_DEFAULTS)
def update_progress(artifact_id: UUID, percent: float, step: str) -> None:
    """Move the run's progress artifact to `percent`, described by the step just done."""
    update_progress_artifact(artifact_id, percent, description=step)


class RunProgress:
    """A flow run's steps, told to the in-process listener of its channel and published as a progress artifact
    (updated every `every` percent: one API call per step is too many)."""

    def __init__(self, channel: str, key: str, description: str, total: int, every: float):
        self.count = StepCount(channel, total, every)
        self.artifact = create_progress(key, description)

    def advance(self, step: str, extra_steps: int = 0) -> None:
        """One step done, and `extra_steps` more to do."""
        percent = self.count.advance(step, extra_steps)
        if percent is not None:
            update_progress(self.artifact, percent, step)

"""Progress of long in-process runs: the CLI listens, tasks report items done per step.

The listener lives in a context variable, not in a flow parameter, so flows keep serialisable parameters; Prefect
copies the context into the threads of submitted tasks. Runs of a deployment have no listener and report nothing.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

StepListener = Callable[[str, int, int | None], None]

_listener: ContextVar[StepListener | None] = ContextVar("step_listener", default=None)


@contextmanager
def listening(listener: StepListener) -> Iterator[None]:
    """Call listener(step, done, total) whenever a run started in this context reports progress."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def report_step(step: str, done: int, total: int | None) -> None:
    """Tell the listener, if any, that `done` of `total` items of a step are finished."""
    listener = _listener.get()
    if listener is not None:
        listener(step, done, total)

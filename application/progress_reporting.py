"""The one progress reporter of in-process runs: an operator's command listens, the run reports.

A listener is registered per channel in one context variable, not passed as a flow parameter, so flows keep
serialisable parameters; Prefect copies the context into the threads of submitted tasks. Runs of a deployment have no
listener and report nothing. Three channels are in use:

- `STEPS`: listener(step, done, total) — items done per step of a long task (imports, digests, sweeps);
- `CLOSEOUT`: listener(done, total, step) — the year-end closeout's steps (the CLI's progress bar);
- `PROGRESS_TABLES`: listener(campaign, rows) — each weekly progress table a run publishes.
"""
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

STEPS = "steps"
CLOSEOUT = "closeout"
PROGRESS_TABLES = "progress-tables"

_listeners: ContextVar[Mapping[str, Callable[..., None]]] = ContextVar("progress_listeners", default={})


@contextmanager
def listening_to(channel: str, listener: Callable[..., None]) -> Iterator[None]:
    """Call listener(...) with whatever a run started in this context reports on `channel`."""
    token = _listeners.set({**_listeners.get(), channel: listener})
    try:
        yield
    finally:
        _listeners.reset(token)


def report(channel: str, *values: object) -> None:
    """Tell the channel's listener, if any, these values."""
    listener = _listeners.get().get(channel)
    if listener is not None:
        listener(*values)


class StepCount:
    """Steps done of a run out of a total that may grow, told to its channel's listener as (done, total, step);
    says when a published progress indicator is due an update (every `every` percent, and at the end)."""

    def __init__(self, channel: str, total: int, every: float):
        self.channel, self.every = channel, every
        self.done, self.total, self.shown = 0, total, 0.0

    def advance(self, step: str, extra_steps: int = 0) -> float | None:
        """Count one step done (and `extra_steps` more to do); the percent to publish, or None if not due yet."""
        self.done += 1
        self.total += extra_steps
        percent = 100.0 * self.done / self.total
        report(self.channel, self.done, self.total, step)
        if percent - self.shown >= self.every or self.done == self.total:  # one API call per step is too many
            self.shown = percent
            return percent
        return None


# The three uses, under the names the CLI and the tests know.

def listening(listener: Callable[[str, int, int | None], None]):
    """Call listener(step, done, total) whenever a run started in this context reports items done."""
    return listening_to(STEPS, listener)


def report_step(step: str, done: int, total: int | None) -> None:
    """Tell the listener, if any, that `done` of `total` items of a step are finished."""
    report(STEPS, step, done, total)


def closeout_progress(listener: Callable[[int, int, str], None]):
    """Call listener(done, total, step) as an in-process closeout advances (the CLI's progress bar)."""
    return listening_to(CLOSEOUT, listener)


def progress_tables(listener: Callable[[str, list[dict[str, object]]], None]):
    """Call listener(campaign, rows) with each table an in-process weekly progress run publishes."""
    return listening_to(PROGRESS_TABLES, listener)

"""Progress bars of long commands: on stderr, and only on a terminal (captured output stays clean)."""
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True)


def progress_bar() -> Progress:
    """A transient bar, drawn only when stderr is a terminal."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


@contextmanager
def step_bars(starting: str) -> Iterator[None]:
    """One bar per step an in-process run reports (tasks.step_progress); `starting` spins until the first report."""
    from tasks.step_progress import listening

    with progress_bar() as bar:
        waiting = bar.add_task(starting, total=None)
        rows: dict[str, int] = {}

        def show(step: str, done: int, total: int | None) -> None:
            if step not in rows:
                bar.update(waiting, visible=False)
                rows[step] = bar.add_task(step, total=total)
            bar.update(rows[step], completed=done, total=total)

        with listening(show):
            yield

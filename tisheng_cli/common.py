"""What every command shares: one-line errors, the start-up checks, progress bars, running an import, calling a
service. Every command module imports this one; none imports `tisheng_cli.main` (it only assembles the app)."""
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.log_redaction import install_redaction, settings_secrets
from infra.prefect_env import configure_prefect_env
from infra.settings import get_settings

T = TypeVar("T")

err = Console(stderr=True)

ACTOR_HELP = "Who does it, for the audit log (default: cli)."


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: MESSAGE` on one line of stderr and exit with `code` (2: refused input, 1: a failed check)."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise typer.Exit(code)


def fail_lines(detail: str, code: int = 1) -> NoReturn:
    """Print each '; '-separated problem of a refusal on its own stderr line and exit with `code`."""
    for problem in detail.split("; "):
        sys.stderr.write(f"{problem}\n")
    raise typer.Exit(code)


def prepare(log_level: str = "WARNING", wait_for_database: bool = False) -> None:
    """Settings checked, Prefect pointed at the data dir (console quiet for one-shot commands), schema migrated;
    an unreachable database is a one-line error, or with `wait_for_database` (services) a line a second till it
    answers."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        fail("invalid settings: " + "; ".join(
            f"TISHENG_{'_'.join(map(str, e['loc'])).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()))
    configure_prefect_env(settings, log_level, quiet_console=log_level != "INFO")
    install_redaction(settings_secrets(settings))
    from sqlalchemy.exc import OperationalError

    from infra.db import migrate

    while True:
        try:
            return migrate()
        except OperationalError as exc:
            reason = str(exc.orig or exc).splitlines()[0]
            if not wait_for_database:
                fail(f"the database cannot be reached: {reason}", code=1)
            err.print(f"the database cannot be reached: {reason}; retrying in 1 s", markup=False, highlight=False)
            time.sleep(1)


def call(service: Callable[..., T], *args, **kwargs) -> T:
    """Run one application service in a unit of work of its own and commit it (after `prepare`)."""
    from infra.unit_of_work import committed

    return committed(service, *args, **kwargs)


def check_campaign(campaign: str | None) -> None:
    """Refuse an unknown campaign in one line (exit 2) before Prefect starts; None checks nothing."""
    if campaign is None:
        return
    from application.campaign_info import campaign_id
    from models.errors import DomainError

    try:
        call(campaign_id, campaign)
    except DomainError as exc:
        fail(exc.detail)


def progress_bar() -> Progress:
    """A transient bar on stderr, drawn only when stderr is a terminal (captured output stays clean)."""
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


def run_import(kind: str, path: str, parse: Callable[[str, str], list], run: Callable[[list], dict]) -> None:
    """Parse a file (every bad line reported, nothing imported), then run its import flow under a progress bar."""
    from pathlib import Path

    from models.errors import DomainError

    prepare()
    from infra.prefect_env import fast_flow_runs

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read {kind}: {exc}")
    try:
        items = parse(text, path)
        with fast_flow_runs(), step_bars(f"importing {kind} ({len(items)} lines)"):
            summary = run(items)
    except DomainError as exc:
        fail_lines(exc.detail)
    typer.echo(f"{path}: imported " + ", ".join(f"{v} {k}" for k, v in summary.items()))

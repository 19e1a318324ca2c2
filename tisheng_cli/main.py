"""The `tisheng` command line: run the stack, the demo, migrations and audit checks."""
import json
import sys
import time
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.prefect_env import configure_prefect_env
from infra.settings import get_settings

app = typer.Typer(help="Tisheng: the 提升工程2.0 approval pipeline.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise typer.Exit(code)


def _prepare(log_level: str = "WARNING") -> None:
    """Settings checked, Prefect pointed at the data dir, schema migrated."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        _fail("invalid settings: " + "; ".join(
            f"TISHENG_{'_'.join(map(str, e['loc'])).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()))
    configure_prefect_env(settings, log_level)
    from infra.db import migrate

    migrate()


@app.command()
def migrate() -> None:
    """Apply database migrations to the configured database."""
    _prepare()
    err.print(f"database at {get_settings().db_url.split('@')[-1]} is up to date")


@app.command()
def demo(
    preset: Annotated[str, typer.Option(help="Policy preset of the campaign.")] = "yanzhou-2022",
    schools: Annotated[int, typer.Option(min=1, max=2000, help="Schools in the demo county.")] = 5,
    teachers: Annotated[int, typer.Option(min=1, max=500, help="Teachers per school.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of every simulated decision.")] = 2022,
    campaign: Annotated[str | None, typer.Option(help="Campaign code (default demo-PRESET-sSEED).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Create a demo campaign and drive every school through the whole lifecycle."""
    from models.errors import DomainError
    from models.policy import load_preset

    try:
        load_preset(preset)
    except DomainError as exc:
        _fail(exc.detail)
    _prepare()
    from flows.demo import run_demo
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from tisheng_cli.demo_report import as_json as to_json, stage_table

    start = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar, fast_flow_runs():
        job = bar.add_task("schools locked", total=schools)
        try:
            run = run_demo(preset, schools, teachers, seed, campaign, progress=lambda _: bar.advance(job))
        except DomainError as exc:
            _fail(exc.detail)
    elapsed = time.perf_counter() - start
    with session_scope() as session:
        histories = repo.school_histories(session, run.roster.campaign)
    if as_json:
        sys.stdout.write(json.dumps(to_json(histories), ensure_ascii=False) + "\n")
        return
    out = Console()
    out.print(stage_table(histories, run.seconds_by_state))
    runs = sum(len(v) for v in run.seconds_by_state.values())
    out.print(f"campaign {run.roster.campaign}: {schools} schools, {runs} transition flow runs, "
              f"{elapsed:.1f} s in all (Prefect server start included)")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every audit entry's link and hash; exit 1 at the first broken one."""
    _prepare()
    from infra import repository as repo
    from infra.db import session_scope
    from models.audit import verify_chain

    with session_scope() as session:
        report = verify_chain(repo.audit_entries(session))
    if not report.ok:
        _fail(f"audit chain broken at entry {report.broken_at}: {report.problem}", code=1)
    Console().print(f"audit chain OK: {report.entries} entries")


if __name__ == "__main__":
    app()

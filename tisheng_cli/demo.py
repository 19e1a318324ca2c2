"""`tisheng demo`: a demo campaign driven through the whole lifecycle; and the demo campaigns `tisheng up` loads."""
import json
import sys
import time
from typing import Annotated

import typer
from rich.console import Console

from tisheng_cli.common import call, err, fail, prepare, progress_bar


def demo(
    preset: Annotated[str, typer.Option(help="Policy preset of the campaign.")] = "yanzhou-2022",
    schools: Annotated[int, typer.Option(min=1, max=2000, help="Schools in the demo county.")] = 5,
    teachers: Annotated[int, typer.Option(min=1, max=500, help="Teachers per school.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of every simulated decision.")] = 2022,
    campaign: Annotated[str | None, typer.Option(help="Campaign code (default demo-PRESET-sSEED).")] = None,
    policy_file: Annotated[str | None, typer.Option(help="An office's own policy YAML instead of a preset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Create a demo campaign and drive every school through the whole lifecycle."""
    from application.policy import check_policy_file
    from models.errors import DomainError
    from models.policy import load_preset

    try:
        policy = check_policy_file(policy_file) if policy_file else load_preset(preset)
    except DomainError as exc:
        fail(exc.detail)
    prepare()
    from application.campaign_info import school_histories
    from flows.demo import run_demo
    from infra.prefect_env import fast_flow_runs
    from tisheng_cli.demo_report import as_json as to_json, stage_table

    start = time.perf_counter()
    with progress_bar() as bar, fast_flow_runs():
        job = bar.add_task("schools locked", total=schools)
        try:
            run = run_demo(policy if policy_file else preset, schools, teachers, seed, campaign,
                           progress=lambda _: bar.advance(job))
        except DomainError as exc:
            fail(exc.detail)
    elapsed = time.perf_counter() - start
    histories = call(school_histories, run.roster.campaign)
    if as_json:
        sys.stdout.write(json.dumps(to_json(histories), ensure_ascii=False) + "\n")
        return
    out = Console()
    out.print(stage_table(histories, run.seconds_by_state))
    runs = sum(len(v) for v in run.seconds_by_state.values())
    typer.echo(f"campaign {run.roster.campaign}: {schools} schools, {runs} transition flow runs, "
               f"{elapsed:.1f} s in all (Prefect server start included)")


def load_demo(schools: int, seed: int) -> None:
    """Load the demo campaign of `tisheng up` (and its live twin waiting on reviewers) unless it is loaded."""
    from application.campaign_info import campaign_exists
    from flows.demo import load_demo_campaigns
    from infra.prefect_env import fast_flow_runs

    code = f"demo-yanzhou-2022-s{seed}"
    if call(campaign_exists, code):
        err.print(f"demo campaign {code} is already loaded")
        return
    err.print(f"loading demo campaign {code} with {schools} schools, and live-{code} waiting on reviewers …")
    with fast_flow_runs():
        keys = load_demo_campaigns(code, schools, seed)
    err.print(f"progress tables published as artifacts {', '.join(keys.values())} (Prefect UI, Artifacts)")

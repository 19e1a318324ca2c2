"""`tisheng closeout CAMPAIGN`: the year-end closeout on demand, with a progress bar."""
from typing import Annotated

import typer

from tisheng_cli.common import fail, prepare, progress_bar


def closeout(
    campaign: Annotated[str, typer.Argument(help="Code of the campaign to close.")],
    next_campaign: Annotated[str | None, typer.Option(
        help="Campaign unfinished teachers carry over to (default CAMPAIGN-next; created if missing).")] = None,
) -> None:
    """Close a campaign for the year: freeze it, mark unfinished schools incomplete, write the 附件2 summary
    (XLSX and CSV in the evidence store), publish per-county artifacts and carry unfinished teachers over."""
    from models.closeout import next_campaign_code
    from models.errors import DomainError

    try:
        next_campaign_code(campaign, next_campaign)
    except DomainError as exc:
        fail(exc.detail)
    prepare()
    from flows.closeout import closeout_progress, run_closeout
    from infra.prefect_env import fast_flow_runs

    with progress_bar() as bar, fast_flow_runs():
        job = bar.add_task("closing out", total=None)

        def advance(done: int, total: int, step: str) -> None:
            bar.update(job, completed=done, total=total, description=step)

        try:
            with closeout_progress(advance):
                result = run_closeout(campaign, next_campaign)
        except DomainError as exc:
            fail(exc.detail)
    top = f"{result.teachers} teachers in {result.schools} schools, {result.passed} passed"
    typer.echo(f"campaign {campaign} closed at {result.closed_at}: {top}; {len(result.closed_out)} school(s) marked "
               f"incomplete; {result.carried['teachers']} teacher(s) carried over to {result.next_campaign}")
    for key, version in result.reports.items():
        typer.echo(f"  {key} (version {version})")
    typer.echo(f"  {result.audit_checkpoint}")

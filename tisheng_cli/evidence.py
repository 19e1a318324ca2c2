"""`tisheng evidence verify|sweep|lock`: evidence files' integrity, leftovers and legal holds."""
from typing import Annotated

import typer

from tisheng_cli.common import check_campaign, fail, prepare, step_bars

app = typer.Typer(help="Evidence files: holds and integrity.", no_args_is_help=True)


@app.command("verify")
def evidence_verify(
    campaign: Annotated[str, typer.Argument(help="Campaign code.")],
    county: Annotated[str | None, typer.Option(help="Only this county's schools.")] = None,
    school: Annotated[str | None, typer.Option(help="Only this school.")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="Check a seeded sample of this many versions.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
) -> None:
    """Re-read recorded evidence and compare SHA-256s; list each missing or changed object, exit 1 if any."""
    prepare()
    check_campaign(campaign)  # refused before Prefect starts
    from flows.evidence import verify_evidence
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with fast_flow_runs(), step_bars(f"verifying evidence of {campaign}"):
            findings = verify_evidence(campaign, county, school, sample, seed)
    except DomainError as exc:
        fail(exc.detail)
    for finding in findings:
        typer.echo(f"{finding.school}\t{finding.key}\t{finding.version_id}\t{finding.problem}")
    if findings:
        fail(f"{len(findings)} evidence version(s) missing or changed", code=1)
    typer.echo("evidence OK: every checked version matches its recorded SHA-256")


@app.command("sweep")
def evidence_sweep_command(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's keys (leftovers: store-wide).")] = None,
    grace_minutes: Annotated[int, typer.Option(min=1, help="Keep anything younger (uploads in flight).")] = 60,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")] = False,
) -> None:
    """Delete stored versions no evidence record or open upload owns, and crash leftovers; report held ones."""
    prepare()
    check_campaign(campaign)  # refused before Prefect starts
    from flows.evidence import evidence_sweep
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with fast_flow_runs():
            outcome = evidence_sweep(campaign, grace_minutes, dry_run)
    except DomainError as exc:
        fail(exc.detail, code=1)
    verb = "would remove" if dry_run else "removed"
    for version in outcome.removed:
        typer.echo(f"{verb}\t{version.key}\t{version.version_id}")
    for name in outcome.leftovers:
        typer.echo(f"{verb} leftover\t{name}")
    for version in outcome.reported:
        typer.echo(f"kept (held or retained)\t{version.key}\t{version.version_id}")
    typer.echo(outcome.summary)


@app.command("lock")
def evidence_lock(
    school: Annotated[str, typer.Argument(help="School code.")],
    campaign: Annotated[str, typer.Option(help="Campaign code.")],
) -> None:
    """Finish holding a locked school's evidence (what the lock flow does; safe to repeat)."""
    prepare()
    from flows.evidence import lock_school_evidence

    from application.evidence_custody import locked_school_to_hold
    from infra.prefect_env import fast_flow_runs
    from infra.unit_of_work import committed
    from models.errors import DomainError

    try:
        enrolment_id = committed(locked_school_to_hold, campaign, school)
        with fast_flow_runs():
            held = lock_school_evidence(enrolment_id)
    except DomainError as exc:
        fail(exc.detail)
    typer.echo(f"{school}: every evidence version held" if held else f"{school}: not every version could be held")

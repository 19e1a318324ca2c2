"""`tisheng audit verify|checkpoint`: the hash-chained audit log and its checkpoints in the evidence store."""
import typer

from tisheng_cli.common import call, fail, prepare

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """Check every audit entry's link and hash and the chain against every checkpoint; exit 1 naming each problem."""
    prepare()
    from application.audit import verify_audit_chain
    from models.errors import DomainError

    try:
        verdict = call(verify_audit_chain)
    except DomainError as exc:  # the checkpoints could not be read at all
        fail(f"cannot read the audit checkpoints: {exc.detail}", code=1)
    for problem in verdict.problems:
        typer.echo(problem)
    if not verdict.ok:
        fail(f"audit chain NOT OK: {len(verdict.problems)} problem(s) over {verdict.entries} entries and "
             f"{verdict.checkpoints} checkpoint(s)", code=1)
    if verdict.newest is None:
        typer.echo(f"audit chain OK: {verdict.entries} entries, 0 checkpoints (nothing anchors the chain yet: "
                   "run `tisheng audit checkpoint`)")
        return
    typer.echo(f"audit chain OK: {verdict.entries} entries, {verdict.checkpoints} checkpoints, newest checkpoint at "
               f"entry {verdict.newest.entry_id} ({verdict.newest.label.removeprefix('the checkpoint of ')}); "
               f"{verdict.unanchored} newer entries not anchored yet")


@app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write the audit chain's head to the evidence store under COMPLIANCE retention (skipped if it has not moved)."""
    prepare()
    from prefect import tags

    from flows.audit import audit_checkpoint as write_checkpoint
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with fast_flow_runs(), tags("tisheng", "on-demand"):
            outcome = write_checkpoint()
    except DomainError as exc:
        fail(exc.detail, code=1)
    typer.echo(outcome.summary)

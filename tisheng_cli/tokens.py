"""`tisheng tokens create|list|revoke`: service tokens, the long-lived API tokens of integrations."""
import sys
from typing import Annotated

import typer

from tisheng_cli.common import call, fail, prepare

app = typer.Typer(help="Service tokens: long-lived API tokens of integrations.", no_args_is_help=True)


@app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The token's name: its principal in scope checks and the audit log.")],
    role: Annotated[str, typer.Option(help="Role the token acts with, e.g. county_office.")],
    unit: Annotated[str, typer.Option(help="Code of the unit the token is bound to.")],
    days: Annotated[int | None, typer.Option(help="Days until it expires (default: never).")] = None,
) -> None:
    """Create a service token and print it once (only its SHA-256 digest is stored)."""
    prepare()
    from application.tokens import create_service_token
    from models.errors import DomainError

    try:
        token = call(create_service_token, name, role, unit, days)
    except DomainError as exc:
        fail(exc.detail)
    lifetime = f"expires in {days} days" if days else "never expires"
    sys.stderr.write(f"service token '{name}' ({role} at {unit}, {lifetime}); store it now, it is not shown again:\n")
    typer.echo(token)


@app.command("list")
def tokens_list() -> None:
    """List service tokens: name, role, unit, status, created, expires, last used (never the secret)."""
    prepare()
    from application.tokens import service_tokens

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%dT%H:%MZ") if moment else "-"

    rows = [(t.name, t.role, t.unit, t.status, when(t.created_at), when(t.expires_at), when(t.last_used_at))
            for t in call(service_tokens)]
    header = ("name", "role", "unit", "status", "created", "expires", "last used")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="Name of the token to revoke.")]) -> None:
    """Revoke a service token: the API refuses it from the next request on."""
    prepare()
    from application.tokens import revoke_service_token
    from models.errors import DomainError

    try:
        revoked = call(revoke_service_token, name)
    except DomainError as exc:
        fail(exc.detail)
    typer.echo(f"revoked service token '{name}'" if revoked else f"service token '{name}' was already revoked")

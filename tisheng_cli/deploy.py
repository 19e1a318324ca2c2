"""`tisheng deploy`: register every deployment on a process work pool (the production setup, infra/deploy/)."""
import os
from typing import Annotated

import typer

from tisheng_cli.common import fail, prepare


def deploy(
    work_pool: Annotated[str, typer.Option(help="Process work pool to register on (created if missing).")] = "tisheng",
) -> None:
    """Register Tisheng's deployments, with their schedules, on a process work pool of the Prefect server named by
    PREFECT_API_URL; run them with `prefect worker start --pool POOL` in this code's directory."""
    if not os.environ.get("PREFECT_API_URL"):
        fail("set PREFECT_API_URL to the Prefect server to deploy to (e.g. http://prefect-server:4200/api)")
    prepare()
    import httpx

    from flows.deployments import deploy_to_work_pool
    from models.errors import DomainError

    try:
        names = deploy_to_work_pool(work_pool)
    except DomainError as exc:
        fail(exc.detail)
    except httpx.HTTPError as exc:
        fail(f"the Prefect server at {os.environ['PREFECT_API_URL']} did not answer: {exc}")
    typer.echo(f"{len(names)} deployments on work pool '{work_pool}':")
    for name in names:
        typer.echo(f"  {name}")

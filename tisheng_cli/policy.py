"""`tisheng policy show|check`: the shipped presets and an office's own policy files."""
import sys
from typing import Annotated

import typer

from tisheng_cli.common import fail, fail_lines

app = typer.Typer(help="Campaign policies: the shipped presets and an office's own files.", no_args_is_help=True)


@app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="Preset name, e.g. yanzhou-2022.")]) -> None:
    """Print a preset as YAML (a file an office can copy and edit)."""
    from application.policy import preset_document
    from models.errors import DomainError

    try:
        document = preset_document(name)
    except DomainError as exc:
        fail(exc.detail)
    sys.stdout.write(document)


@app.command("check")
def policy_check(path: Annotated[str, typer.Argument(help="A policy YAML file.")]) -> None:
    """Validate a policy file; list every problem with its path, exit 1 if there is any."""
    from application.policy import check_policy_file
    from models.errors import DomainError

    try:
        policy = check_policy_file(path)
    except DomainError as exc:
        fail_lines(exc.detail)
    typer.echo(f"{path}: valid policy '{policy.name}'")

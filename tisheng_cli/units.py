"""`tisheng units import`: the unit tree (province → city → county → school) from an office's file."""
from typing import Annotated

import typer

from tisheng_cli.common import fail, fail_lines, prepare


app = typer.Typer(help="The unit tree: provinces, cities, counties and schools.", no_args_is_help=True)


@app.command("import")
def units_import(path: Annotated[str, typer.Argument(
        help="CSV: code,name,level,parent_code[,school_type,township]")]) -> None:
    """Create or update units from a file; a file with any bad line imports nothing (every one named)."""
    from pathlib import Path

    from application.units import import_units
    from infra.unit_of_work import committed
    from models.errors import DomainError
    from models.units import parse_units

    prepare()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read units: {exc}")
    try:
        done = committed(import_units, parse_units(text, path))
    except DomainError as exc:
        fail_lines(exc.detail, 2)
    typer.echo(f"{path}: {done.created} unit(s) created, {done.updated} updated, {done.unchanged} unchanged")

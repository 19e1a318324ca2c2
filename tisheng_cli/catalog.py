"""`tisheng catalog import`: replace a campaign's micro-ability catalog with an office's file."""
from typing import Annotated

import typer

from tisheng_cli.common import run_import

app = typer.Typer(help="A campaign's micro-ability catalog.", no_args_is_help=True)


@app.command("import")
def catalog_import(
    path: Annotated[str, typer.Argument(help="Catalog CSV: code,name,environment,dimension,evidence_items,confirmed")],
    campaign: Annotated[str, typer.Option(help="Campaign whose catalog is replaced.")],
) -> None:
    """Replace a campaign's micro-ability catalog; a malformed file is refused whole, line by line."""
    from models.catalog import parse_catalog

    def run(entries):
        from flows.imports import import_catalog

        return import_catalog(campaign, entries)

    run_import("catalog", path, lambda text, origin: parse_catalog(text, origin), run)

"""`tisheng hours import`: a training platform's export of teachers' hours."""
from typing import Annotated

import typer

from tisheng_cli.common import run_import

app = typer.Typer(help="Teachers' training hours.", no_args_is_help=True)


@app.command("import")
def hours_import(
    path: Annotated[str, typer.Argument(help="Platform export CSV: teacher,course,minutes_watched,course_minutes,kind")],
    campaign: Annotated[str, typer.Option(help="Campaign the teachers are enrolled in.")],
) -> None:
    """Import a training platform's hour records; a file with any bad row imports nothing."""
    from models.hours import parse_hour_records

    def run(records):
        from flows.imports import import_hours

        return import_hours(campaign, records)

    run_import("hour records", path, lambda text, origin: parse_hour_records(text, origin), run)

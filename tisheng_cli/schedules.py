"""`tisheng remind` and `tisheng progress`: the daily and weekly scheduled runs, on demand and in-process."""
from datetime import date, datetime, time
from typing import Annotated

import typer

from models.calendar import CAMPAIGN_TZ
from models.reminders import MAX_ATTEMPTS
from tisheng_cli.common import check_campaign, fail, prepare, step_bars

SCHEDULED_AT = time(8)  # the daily-reminders cron's hour (flows/schedules.py), China time


def remind(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (default: every one with open tasks).")] = None,
    day: Annotated[str | None, typer.Option(
        help="Run as that day's 08:00 (Asia/Shanghai) run would, YYYY-MM-DD (default: now).")] = None,
) -> None:
    """Run the daily reminders now: one digest per person over e-mail, webhook and in-app, each once per day;
    exit 1 if a channel failed."""
    try:
        as_of = datetime.combine(date.fromisoformat(day), SCHEDULED_AT, CAMPAIGN_TZ) if day else None
    except ValueError:
        fail(f"--day '{day}' is not a date (YYYY-MM-DD)")
    prepare()
    check_campaign(campaign)
    from prefect import tags

    from flows.reminders import daily_reminders
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with fast_flow_runs(), step_bars("starting the reminder run"), tags("tisheng", "on-demand"):
            report = daily_reminders(campaign, as_of)
    except DomainError as exc:
        fail(exc.detail)
    typer.echo(f"daily reminders {report.day}: {report.digests} digest(s), {report.escalations} with escalations")
    for name, counts in report.channels.items():
        typer.echo(f"  {name:<8} {channel_summary(counts)}")
    failed = [name for name, counts in report.channels.items() if "error" in counts]
    if failed:
        fail(f"{', '.join(failed)} failed; a later run today retries each failed digest, up to {MAX_ATTEMPTS} "
              "attempts", code=1)


def channel_summary(counts: dict) -> str:
    """One channel's outcome in a line: what it sent, failed, found already sent, or why it did nothing."""
    if "sent" not in counts:
        return f"error: {counts['error']}"
    done = ("sent", "failed", "already_sent", "in_flight", "gave_up")
    if counts["skipped"] and not any(counts[k] for k in done):
        return f"skipped: {counts['skipped']}"
    failed = counts["failed"]
    who = f" ({', '.join(failed[:5])}{', …' if len(failed) > 5 else ''})" if failed else ""
    parts = [f"{counts['sent']} sent", f"{len(failed)} failed{who}", f"{counts['already_sent']} already sent"]
    if counts["in_flight"]:
        parts.append(f"{counts['in_flight']} being sent by another run")
    if counts["gave_up"]:
        parts.append(f"{counts['gave_up']} given up after {MAX_ATTEMPTS} attempts")
    return ", ".join(parts) + (f"; {counts['skipped']}" if counts["skipped"] else "")


def progress(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (default: every campaign).")] = None,
) -> None:
    """Run the weekly progress report now: per county, schools per stage and overdue tasks, printed and published
    as the campaign's table artifact."""
    prepare()
    check_campaign(campaign)
    from prefect import tags
    from rich.console import Console

    from flows.progress import progress_tables, weekly_progress
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    tables: list[tuple[str, list[dict]]] = []
    try:
        with fast_flow_runs(), step_bars("starting the progress run"), tags("tisheng", "on-demand"), \
                progress_tables(lambda code, rows: tables.append((code, rows))):
            keys = weekly_progress(campaign)
    except DomainError as exc:
        fail(exc.detail)
    out = Console()
    for code, rows in tables:
        out.print(county_table(code, rows))
        typer.echo(f"published as artifact {keys[code]} (Prefect UI, Artifacts)")
    if not tables:
        typer.echo("no campaigns")


def county_table(campaign: str, rows: list[dict]):
    """The per-county rows as a terminal table: only stages some school is in, then overdue tasks."""
    from rich.table import Table

    from models.enums import SchoolState
    from tisheng_cli.demo_report import STAGE_LABELS

    stages = [s for s in SchoolState if any(row[str(s)] for row in rows)]
    table = Table(title=f"{campaign} · schools per stage, overdue tasks")
    for column in ("county", "schools", *(STAGE_LABELS[s] for s in stages), "overdue tasks"):
        table.add_column(column, justify="left" if column == "county" else "right")
    for row in rows:
        table.add_row(f"{row['county']} {row['name']}", str(row["schools"]), *(str(row[str(s)]) for s in stages),
                      str(row["overdue_tasks"]))
    if len(rows) > 1:
        table.add_row("total", *(str(sum(row[key] for row in rows))
                                 for key in ("schools", *map(str, stages), "overdue_tasks")), style="bold")
    return table

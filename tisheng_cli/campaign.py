"""`tisheng campaign create|list|show`: opening a region's campaign year and reading campaigns (the operator's
view: every campaign). Each command is one small function on `app`; more (enrol, sync-roster) attach the same way."""
from pathlib import Path
from typing import Annotated

import typer

from tisheng_cli.common import call, fail, fail_lines, prepare

app = typer.Typer(help="Campaigns: open a region's year, list and show them, enrol its schools, keep its teachers in step.", no_args_is_help=True)


def _policy(preset: str | None, policy_file: str | None):
    """The policy and its origin from exactly one of --policy and --policy-file (one line per problem)."""
    from models.errors import DomainError
    from models.policy import load_policy_file, load_preset

    if (preset is None) == (policy_file is None):
        fail("give exactly one of --policy PRESET and --policy-file FILE")
    try:
        if preset is not None:
            return load_preset(preset), f"preset {preset}"
        return load_policy_file(Path(policy_file)), f"file {Path(policy_file).name}"
    except DomainError as exc:
        fail_lines(exc.detail, 2)


def _catalog(path: str | None):
    from models.catalog import load_catalog
    from models.errors import DomainError

    try:
        return load_catalog() if path is None else load_catalog(Path(path))
    except DomainError as exc:
        fail_lines(exc.detail, 2)


@app.command("create")
def campaign_create(
    code: Annotated[str, typer.Argument(help="The new campaign's code, e.g. yanzhou-2023.")],
    region: Annotated[str, typer.Option(help="Code of the province, city or county unit it runs in.")],
    year: Annotated[int, typer.Option(help="The campaign year (2000-2100); the policy's deadlines move to it.")],
    policy: Annotated[str | None, typer.Option("--policy", help="A shipped preset, e.g. yanzhou-2022.")] = None,
    policy_file: Annotated[str | None, typer.Option("--policy-file", help="An office's policy YAML file.")] = None,
    title: Annotated[str | None, typer.Option(help="The campaign's title.")] = None,
    catalog: Annotated[str | None, typer.Option(help="Micro-ability catalog CSV (default: the shipped one).")] = None,
) -> None:
    """Open a campaign year for a region under a frozen copy of a policy moved to that year."""
    chosen, origin = _policy(policy, policy_file)
    entries = _catalog(catalog)
    prepare()
    from application.campaign_setup import create_campaign
    from models.errors import DomainError

    try:
        view = call(create_campaign, None, code, region, year, chosen, origin, title, entries)
    except DomainError as exc:
        fail(exc.detail)
    typer.echo(f"campaign '{view.code}' opened for {view.region.code} {view.region.name} ({view.region.level}), "
               f"year {view.year}, policy {view.policy.version}, final deadline {view.deadlines.final}")


@app.command("list")
def campaign_list() -> None:
    """Every campaign, newest year first: code, year, region, status, policy, title."""
    prepare()
    from application.campaign_setup import list_campaigns

    for c in call(list_campaigns, None):
        typer.echo("\t".join([c.code, str(c.year), c.region.code, c.status, c.policy_name, c.title or ""]))


@app.command("show")
def campaign_show(code: Annotated[str, typer.Argument(help="The campaign's code.")]) -> None:
    """One campaign: region, year, status, its policy's origin and the deadlines in force for the region."""
    prepare()
    from application.campaign_setup import show_campaign
    from models.errors import DomainError

    try:
        view = call(show_campaign, None, code)
    except DomainError as exc:
        fail(exc.detail)
    lines = [f"campaign: {view.code}", f"title: {view.title or ''}",
             f"region: {view.region.code} {view.region.name} ({view.region.level})", f"year: {view.year}",
             f"status: {view.status}", f"created_at: {view.created_at:%Y-%m-%d %H:%M:%S} UTC",
             f"closed_at: {view.closed_at or ''}", f"policy: {view.policy.name} ({view.policy.version})",
             f"final_deadline: {view.deadlines.final}"]
    lines += [f"stage {name}: {day}" for name, day in view.deadlines.stages.items()]
    lines += [f"task {name}: {day}" for name, day in view.deadlines.tasks.items()]
    lines += [f"target {t['by']}: {t['share']:.0%}" for t in view.targets]
    typer.echo("\n".join(lines))

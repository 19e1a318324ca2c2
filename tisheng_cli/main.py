"""The `tisheng` command line: run the stack, the demo, migrations and audit checks."""
import json
import sys
import time
import traceback
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from infra.log_redaction import install_redaction, settings_secrets
from infra.prefect_env import configure_prefect_env
from infra.settings import get_settings
from tisheng_cli.bars import err, progress_bar, step_bars

app = typer.Typer(help="Tisheng: the 提升工程2.0 approval pipeline.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
policy_app = typer.Typer(help="Campaign policies: the shipped presets and an office's own files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
catalog_app = typer.Typer(help="A campaign's micro-ability catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
hours_app = typer.Typer(help="Teachers' training hours.", no_args_is_help=True)
app.add_typer(hours_app, name="hours")
users_app = typer.Typer(help="People who log in: reviewers, offices, teachers.", no_args_is_help=True)
app.add_typer(users_app, name="users")
tokens_app = typer.Typer(help="Service tokens: long-lived API tokens of integrations.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
evidence_app = typer.Typer(help="Evidence files: holds and integrity.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    raise typer.Exit(code)


def _prepare(log_level: str = "WARNING") -> None:
    """Settings checked, Prefect pointed at the data dir (console quiet for one-shot commands), schema migrated."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        _fail("invalid settings: " + "; ".join(
            f"TISHENG_{'_'.join(map(str, e['loc'])).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()))
    configure_prefect_env(settings, log_level, quiet_console=log_level != "INFO")
    install_redaction(settings_secrets(settings))
    from infra.db import migrate

    migrate()


@app.command()
def migrate() -> None:
    """Apply database migrations to the configured database."""
    _prepare()
    err.print(f"database at {get_settings().db_url.split('@')[-1]} is up to date")


@app.command()
def demo(
    preset: Annotated[str, typer.Option(help="Policy preset of the campaign.")] = "yanzhou-2022",
    schools: Annotated[int, typer.Option(min=1, max=2000, help="Schools in the demo county.")] = 5,
    teachers: Annotated[int, typer.Option(min=1, max=500, help="Teachers per school.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of every simulated decision.")] = 2022,
    campaign: Annotated[str | None, typer.Option(help="Campaign code (default demo-PRESET-sSEED).")] = None,
    policy_file: Annotated[str | None, typer.Option(help="An office's own policy YAML instead of a preset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Create a demo campaign and drive every school through the whole lifecycle."""
    from pathlib import Path

    from models.errors import DomainError
    from models.policy import load_policy_file, load_preset

    try:
        policy = load_policy_file(Path(policy_file)) if policy_file else load_preset(preset)
    except DomainError as exc:
        _fail(exc.detail)
    _prepare()
    from flows.demo import run_demo
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from tisheng_cli.demo_report import as_json as to_json, stage_table

    start = time.perf_counter()
    with progress_bar() as bar, fast_flow_runs():
        job = bar.add_task("schools locked", total=schools)
        try:
            run = run_demo(policy if policy_file else preset, schools, teachers, seed, campaign,
                           progress=lambda _: bar.advance(job))
        except DomainError as exc:
            _fail(exc.detail)
    elapsed = time.perf_counter() - start
    with session_scope() as session:
        histories = repo.school_histories(session, run.roster.campaign)
    if as_json:
        sys.stdout.write(json.dumps(to_json(histories), ensure_ascii=False) + "\n")
        return
    out = Console()
    out.print(stage_table(histories, run.seconds_by_state))
    runs = sum(len(v) for v in run.seconds_by_state.values())
    typer.echo(f"campaign {run.roster.campaign}: {schools} schools, {runs} transition flow runs, "
               f"{elapsed:.1f} s in all (Prefect server start included)")


@app.command()
def up(
    demo_schools: Annotated[int, typer.Option(min=0, max=500, help="Schools of the demo campaign to load (0: none).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the demo campaign.")] = 2022,
) -> None:
    """Start Prefect's server and UI, the flow server and the API, load a demo campaign, run until Ctrl-C."""
    import os
    import signal

    from tisheng_cli.stack import Stack, StackError, api_command, port_free, wait_for

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops the stack like Ctrl-C

    _prepare(log_level="INFO")
    settings = get_settings()
    host, prefect_port, api_port = settings.api_host, settings.prefect_port, settings.api_port
    for variable, port in (("TISHENG_PREFECT_PORT", prefect_port), ("TISHENG_API_PORT", api_port)):
        if not port_free(host, port):
            _fail(f"port {port} is in use; stop what listens there or set {variable}")
    os.environ["PREFECT_API_URL"] = f"http://{host}:{prefect_port}/api"
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stack = Stack(str(logs))
    code = 0
    try:
        server = stack.start("prefect-server", ["-m", "prefect", "server", "start", "--host", host,
                                                "--port", str(prefect_port)])
        err.print(f"starting the Prefect server (log: {logs / 'prefect-server.log'}) …")
        wait_for(f"http://{host}:{prefect_port}/api/health", 180, server)
        stack.start("flow-server", ["-m", "tisheng_cli.main", "serve-flows"])
        stack.start("dispatcher", ["-m", "tisheng_cli.main", "dispatch"])
        api = stack.start("api", api_command("api.app:app", host, api_port))
        wait_for(f"http://{host}:{api_port}/health", 60, api)
        if demo_schools:
            _load_demo(demo_schools, seed)
        out = Console()
        out.print(f"Prefect UI   http://{host}:{prefect_port}  (flow runs, events, deployments)")
        out.print(f"Tisheng API  http://{host}:{api_port}/docs")
        out.print(f"logs         {logs}    data {settings.data_dir}")
        out.print("running; Ctrl-C stops everything")
        err.print(f"stopped: {stack.watch()}")
        code = 1
    except StackError as exc:
        sys.stderr.write(f"error: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        err.print("stopping …")
    except Exception:  # noqa: BLE001 — report it, then still take the whole stack down
        traceback.print_exc()
        code = 1
    finally:
        stack.stop()
        # Prefect's client threads are not daemons and would keep this process alive after the stack is down.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _load_demo(schools: int, seed: int) -> None:
    from flows.demo import load_demo_campaigns
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from models.errors import NotFound

    code = f"demo-yanzhou-2022-s{seed}"
    with session_scope() as session:
        try:
            repo.campaign_by_code(session, code)
            err.print(f"demo campaign {code} is already loaded")
            return
        except NotFound:
            pass
    err.print(f"loading demo campaign {code} with {schools} schools, and live-{code} waiting on reviewers …")
    with fast_flow_runs():
        keys = load_demo_campaigns(code, schools, seed)
    err.print(f"progress tables published as artifacts {', '.join(keys.values())} (Prefect UI, Artifacts)")


@app.command()
def dispatch(interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls when idle.")] = 1.0) -> None:
    """Apply decisions queued by the API, in bulk flow runs; an outage only delays them (runs until stopped)."""
    _prepare(log_level="INFO")
    from flows.dispatch import run_dispatcher
    from infra.prefect_env import fast_flow_runs

    with fast_flow_runs():
        run_dispatcher(interval, on_error=lambda exc: err.print(f"dispatch: {type(exc).__name__}: {exc}; retrying"))


@app.command("serve-flows")
def serve_flows() -> None:
    """Serve Tisheng's deployments on the Prefect server named by PREFECT_API_URL (runs until stopped)."""
    _prepare(log_level="INFO")
    from prefect import serve

    from flows.deployments import ensure_concurrency_limits, tisheng_deployments

    ensure_concurrency_limits()
    serve(*tisheng_deployments())


@policy_app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="Preset name, e.g. yanzhou-2022.")]) -> None:
    """Print a preset as YAML (a file an office can copy and edit)."""
    import yaml

    from models.errors import DomainError
    from models.policy import load_preset

    try:
        policy = load_preset(name)
    except DomainError as exc:
        _fail(exc.detail)
    sys.stdout.write(yaml.safe_dump(policy.model_dump(mode="json", exclude_none=True), allow_unicode=True,
                                    sort_keys=False))


@policy_app.command("check")
def policy_check(path: Annotated[str, typer.Argument(help="A policy YAML file.")]) -> None:
    """Validate a policy file; list every problem with its path, exit 1 if there is any."""
    from pathlib import Path

    from models.errors import DomainError
    from models.policy import load_policy_file

    try:
        policy = load_policy_file(Path(path))
    except DomainError as exc:
        for problem in exc.detail.split("; "):
            sys.stderr.write(f"{problem}\n")
        raise typer.Exit(1)
    typer.echo(f"{path}: valid policy '{policy.name}'")


def _run_import(kind: str, path: str, parse, run) -> None:
    """Parse a file (every bad line reported, nothing imported), then run its import flow under a progress bar."""
    from pathlib import Path

    from models.errors import DomainError

    _prepare()
    from infra.prefect_env import fast_flow_runs

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read {kind}: {exc}")
    try:
        items = parse(text, path)
        with fast_flow_runs(), step_bars(f"importing {kind} ({len(items)} lines)"):
            summary = run(items)
    except DomainError as exc:
        for problem in exc.detail.split("; "):
            sys.stderr.write(f"{problem}\n")
        raise typer.Exit(1)
    typer.echo(f"{path}: imported " + ", ".join(f"{v} {k}" for k, v in summary.items()))


@catalog_app.command("import")
def catalog_import(
    path: Annotated[str, typer.Argument(help="Catalog CSV: code,name,environment,dimension,evidence_items,confirmed")],
    campaign: Annotated[str, typer.Option(help="Campaign whose catalog is replaced.")],
) -> None:
    """Replace a campaign's micro-ability catalog; a malformed file is refused whole, line by line."""
    from models.catalog import parse_catalog

    def run(entries):
        from flows.imports import import_catalog

        return import_catalog(campaign, entries)

    _run_import("catalog", path, lambda text, origin: parse_catalog(text, origin), run)


@hours_app.command("import")
def hours_import(
    path: Annotated[str, typer.Argument(help="Platform export CSV: teacher,course,minutes_watched,course_minutes,kind")],
    campaign: Annotated[str, typer.Option(help="Campaign the teachers are enrolled in.")],
) -> None:
    """Import a training platform's hour records; a file with any bad row imports nothing."""
    from models.hours import parse_hour_records

    def run(records):
        from flows.imports import import_hours

        return import_hours(campaign, records)

    _run_import("hour records", path, lambda text, origin: parse_hour_records(text, origin), run)


@users_app.command("import")
def users_import(
    path: Annotated[str, typer.Argument(help="Roster CSV: username,name,role,unit_code,password")],
) -> None:
    """Create or update users from a roster; a file with any bad row imports nothing."""
    from models.roster import parse_roster

    def run(lines):
        from flows.imports import import_users

        return import_users(lines, len(lines))

    _run_import("roster", path, lambda text, origin: parse_roster(text, origin), run)


def _set_active(username: str, active: bool, actor: str) -> None:
    if not 1 <= len(actor) <= 64 or "\x00" in actor:
        _fail("--actor must be 1 to 64 characters")
    _prepare()
    from sqlalchemy.exc import IntegrityError

    from application.concurrency import committed_with_retry
    from application.people import set_person_active
    from models.errors import DomainError

    try:  # a concurrent audit append took the chain head: committed_with_retry appends on the new one
        change = committed_with_retry(set_person_active, actor, username, active)
    except DomainError as exc:
        _fail(exc.detail)
    except IntegrityError:
        _fail("the audit log kept moving under this change; try again", 1)
    state = "active" if active else "deactivated"
    if not change.changed:
        typer.echo(f"user '{username}' was already {state}")
        return
    released = f"; released claimed tasks {', '.join(map(str, change.released_tasks))}" if change.released_tasks else ""
    typer.echo(f"user '{username}' ({change.role} at {change.unit}) is now {state}{released}")


ACTOR_HELP = "Who does it, for the audit log (default: cli)."


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(help="The person's username.")],
                     actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Deactivate a person: their login and service tokens answer 401 from the next request on, and the open tasks
    they had claimed go back to their inbox (audited)."""
    _set_active(username, False, actor)


@users_app.command("activate")
def users_activate(username: Annotated[str, typer.Argument(help="The person's username.")],
                   actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Reactivate a deactivated person (audited); a revoked service token stays revoked."""
    _set_active(username, True, actor)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The token's name: its principal in scope checks and the audit log.")],
    role: Annotated[str, typer.Option(help="Role the token acts with, e.g. county_office.")],
    unit: Annotated[str, typer.Option(help="Code of the unit the token is bound to.")],
    days: Annotated[int | None, typer.Option(help="Days until it expires (default: never).")] = None,
) -> None:
    """Create a service token and print it once (only its SHA-256 digest is stored)."""
    _prepare()
    from infra.db import session_scope
    from infra.service_tokens import create_token
    from models.errors import DomainError

    try:
        with session_scope() as session:
            token = create_token(session, name, role, unit, days)
    except DomainError as exc:
        _fail(exc.detail)
    lifetime = f"expires in {days} days" if days else "never expires"
    sys.stderr.write(f"service token '{name}' ({role} at {unit}, {lifetime}); store it now, it is not shown again:\n")
    typer.echo(token)


@tokens_app.command("list")
def tokens_list() -> None:
    """List service tokens: name, role, unit, status, created, expires, last used (never the secret)."""
    _prepare()
    from infra.db import session_scope
    from infra.service_tokens import list_tokens

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%dT%H:%MZ") if moment else "-"

    with session_scope() as session:
        rows = [(t.name, t.role, t.unit, t.status, when(t.created_at), when(t.expires_at), when(t.last_used_at))
                for t in list_tokens(session)]
    header = ("name", "role", "unit", "status", "created", "expires", "last used")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="Name of the token to revoke.")]) -> None:
    """Revoke a service token: the API refuses it from the next request on."""
    _prepare()
    from infra.db import session_scope
    from infra.service_tokens import revoke_token
    from models.errors import DomainError

    try:
        with session_scope() as session:
            revoked = revoke_token(session, name)
    except DomainError as exc:
        _fail(exc.detail)
    typer.echo(f"revoked service token '{name}'" if revoked else f"service token '{name}' was already revoked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every audit entry's link and hash and the chain against every checkpoint; exit 1 naming each problem."""
    _prepare()
    from infra import repository as repo
    from infra.audit_checkpoints import stored_checkpoints
    from infra.db import session_scope
    from infra.evidence import get_evidence_store
    from models.audit_verify import verify_against_checkpoints
    from models.errors import DomainError

    try:
        checkpoints, store_problems = stored_checkpoints(get_evidence_store())
    except DomainError as exc:
        _fail(f"cannot read the audit checkpoints: {exc.detail}", code=1)
    with session_scope() as session:
        verdict = verify_against_checkpoints(repo.audit_entries(session), checkpoints, store_problems)
    for problem in verdict.problems:
        typer.echo(problem)
    if not verdict.ok:
        _fail(f"audit chain NOT OK: {len(verdict.problems)} problem(s) over {verdict.entries} entries and "
              f"{verdict.checkpoints} checkpoint(s)", code=1)
    if verdict.newest is None:
        typer.echo(f"audit chain OK: {verdict.entries} entries, 0 checkpoints (nothing anchors the chain yet: "
                   "run `tisheng audit checkpoint`)")
        return
    typer.echo(f"audit chain OK: {verdict.entries} entries, {verdict.checkpoints} checkpoints, newest checkpoint at "
               f"entry {verdict.newest.entry_id} ({verdict.newest.label.removeprefix('the checkpoint of ')}); "
               f"{verdict.unanchored} newer entries not anchored yet")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write the audit chain's head to the evidence store under COMPLIANCE retention (skipped if it has not moved)."""
    _prepare()
    from prefect import tags

    from flows.audit import audit_checkpoint as write_checkpoint
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with fast_flow_runs(), tags("tisheng", "on-demand"):
            outcome = write_checkpoint()
    except DomainError as exc:
        _fail(exc.detail, code=1)
    typer.echo(outcome.summary)


@evidence_app.command("verify")
def evidence_verify(
    campaign: Annotated[str, typer.Argument(help="Campaign code.")],
    county: Annotated[str | None, typer.Option(help="Only this county's schools.")] = None,
    school: Annotated[str | None, typer.Option(help="Only this school.")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="Check a seeded sample of this many versions.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
) -> None:
    """Re-read recorded evidence and compare SHA-256s; list each missing or changed object, exit 1 if any."""
    _prepare()
    from flows.evidence import verify_evidence
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    try:
        with session_scope() as session:
            repo.campaign_by_code(session, campaign)  # refused before Prefect starts
        with fast_flow_runs(), step_bars(f"verifying evidence of {campaign}"):
            findings = verify_evidence(campaign, county, school, sample, seed)
    except DomainError as exc:
        _fail(exc.detail)
    for finding in findings:
        typer.echo(f"{finding.school}\t{finding.key}\t{finding.version_id}\t{finding.problem}")
    if findings:
        _fail(f"{len(findings)} evidence version(s) missing or changed", code=1)
    typer.echo("evidence OK: every checked version matches its recorded SHA-256")


@evidence_app.command("sweep")
def evidence_sweep_command(
    campaign: Annotated[str | None, typer.Option(help="Only this campaign's keys (leftovers: store-wide).")] = None,
    grace_minutes: Annotated[int, typer.Option(min=1, help="Keep anything younger (uploads in flight).")] = 60,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")] = False,
) -> None:
    """Delete stored versions no evidence record or open upload owns, and crash leftovers; report held ones."""
    _prepare()
    from flows.evidence import evidence_sweep
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError

    if campaign is not None:
        with session_scope() as session:
            try:
                repo.campaign_by_code(session, campaign)  # refused before Prefect starts
            except DomainError as exc:
                _fail(exc.detail)
    try:
        with fast_flow_runs():
            outcome = evidence_sweep(campaign, grace_minutes, dry_run)
    except DomainError as exc:
        _fail(exc.detail, code=1)
    verb = "would remove" if dry_run else "removed"
    for version in outcome.removed:
        typer.echo(f"{verb}\t{version.key}\t{version.version_id}")
    for name in outcome.leftovers:
        typer.echo(f"{verb} leftover\t{name}")
    for version in outcome.reported:
        typer.echo(f"kept (held or retained)\t{version.key}\t{version.version_id}")
    typer.echo(outcome.summary)


@evidence_app.command("lock")
def evidence_lock(
    school: Annotated[str, typer.Argument(help="School code.")],
    campaign: Annotated[str, typer.Option(help="Campaign code.")],
) -> None:
    """Finish holding a locked school's evidence (what the lock flow does; safe to repeat)."""
    _prepare()
    from flows.evidence import lock_school_evidence
    from infra import repository as repo
    from infra.db import session_scope
    from infra.prefect_env import fast_flow_runs
    from models.errors import DomainError
    from models.evidence import LOCKED_STATES

    try:
        with session_scope() as session:
            enrolment = repo.school_enrolment(session, campaign, school)
            enrolment_id, state = enrolment.id, enrolment.state
        if state not in LOCKED_STATES:
            _fail(f"school {school} is {state}, not locked: nothing to hold")
        with fast_flow_runs():
            held = lock_school_evidence(enrolment_id)
    except DomainError as exc:
        _fail(exc.detail)
    typer.echo(f"{school}: every evidence version held" if held else f"{school}: not every version could be held")


from tisheng_cli.closeout import closeout  # noqa: E402  (it imports this module's helpers when it runs)
from tisheng_cli.deploy import deploy  # noqa: E402  (likewise)
from tisheng_cli.schedules import progress, remind  # noqa: E402  (likewise)

app.command("closeout")(closeout)
app.command("deploy")(deploy)
app.command("remind")(remind)
app.command("progress")(progress)

if __name__ == "__main__":
    app()

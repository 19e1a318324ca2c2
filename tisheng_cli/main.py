"""The `tisheng` command line: run the stack, the demo, migrations and audit checks.

This module only assembles the typer app from one module per command group (shared helpers live in
tisheng_cli/common.py); nothing imports it but the entry point (`tisheng`, `python -m tisheng_cli.main`).
"""
import typer

from tisheng_cli import audit, campaign, catalog, evidence, hours, policy, tokens, units, users
from tisheng_cli.closeout import closeout
from tisheng_cli.demo import demo
from tisheng_cli.deploy import deploy
from tisheng_cli.enrolment import enrol, sync_roster
from tisheng_cli.schedules import progress, remind
from tisheng_cli.stack import dispatch, migrate, serve_flows, up

app = typer.Typer(help="Tisheng: the 提升工程2.0 approval pipeline.", no_args_is_help=True,
                  pretty_exceptions_enable=False)

app.command()(migrate)
app.command()(demo)
app.command()(up)
app.command()(dispatch)
app.command("serve-flows")(serve_flows)
app.command("closeout")(closeout)
app.command("deploy")(deploy)
app.command("remind")(remind)
app.command("progress")(progress)

app.add_typer(audit.app, name="audit")
app.add_typer(policy.app, name="policy")
campaign.app.command("enrol")(enrol)
campaign.app.command("sync-roster")(sync_roster)
app.add_typer(campaign.app, name="campaign")
app.add_typer(catalog.app, name="catalog")
app.add_typer(hours.app, name="hours")
app.add_typer(units.app, name="units")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(evidence.app, name="evidence")

if __name__ == "__main__":
    app()

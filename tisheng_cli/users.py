"""`tisheng users import|activate|deactivate`: the people who log in."""
from typing import Annotated

import typer

from tisheng_cli.common import ACTOR_HELP, fail, prepare, run_import

app = typer.Typer(help="People who log in: reviewers, offices, teachers.", no_args_is_help=True)


@app.command("import")
def users_import(
    path: Annotated[str, typer.Argument(help="Roster CSV: username,name,role,unit_code,password")],
) -> None:
    """Create or update users from a roster; a file with any bad row imports nothing."""
    from models.roster import parse_roster

    def run(lines):
        from flows.imports import import_users

        return import_users(lines, len(lines))

    run_import("roster", path, lambda text, origin: parse_roster(text, origin), run)


def _set_active(username: str, active: bool, actor: str) -> None:
    if not 1 <= len(actor) <= 64 or "\x00" in actor:
        fail("--actor must be 1 to 64 characters")
    prepare()
    from sqlalchemy.exc import IntegrityError

    from application.concurrency import committed_with_retry
    from application.people import set_person_active
    from models.errors import DomainError

    try:  # a concurrent audit append took the chain head: committed_with_retry appends on the new one
        change = committed_with_retry(set_person_active, actor, username, active)
    except DomainError as exc:
        fail(exc.detail)
    except IntegrityError:
        fail("the audit log kept moving under this change; try again", 1)
    state = "active" if active else "deactivated"
    if not change.changed:
        typer.echo(f"user '{username}' was already {state}")
        return
    released = f"; released claimed tasks {', '.join(map(str, change.released_tasks))}" if change.released_tasks else ""
    typer.echo(f"user '{username}' ({change.role} at {change.unit}) is now {state}{released}")


@app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(help="The person's username.")],
                     actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Deactivate a person: their login and service tokens answer 401 from the next request on, and the open tasks
    they had claimed go back to their inbox (audited)."""
    _set_active(username, False, actor)


@app.command("activate")
def users_activate(username: Annotated[str, typer.Argument(help="The person's username.")],
                   actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Reactivate a deactivated person (audited); a revoked service token stays revoked."""
    _set_active(username, True, actor)

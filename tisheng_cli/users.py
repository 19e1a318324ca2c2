"""`tisheng users import|activate|deactivate`: the people who log in."""
import os
from typing import Annotated

import typer

from tisheng_cli.common import ACTOR_HELP, fail, prepare, run_import

app = typer.Typer(help="People who log in: reviewers, offices, teachers.", no_args_is_help=True)


CODES_COLUMNS = ("username", "name", "unit_code", "code", "expires_at")


@app.command("import")
def users_import(
    path: Annotated[str, typer.Argument(help="Roster CSV: username,name,role,unit_code,password[,email]")],
    codes_out: Annotated[str | None, typer.Option(
        "--codes-out", help="New CSV (UTF-8 with BOM, mode 0600) for the activation codes of people imported "
                            "without a password: their only copy. Required when any code is issued.")] = None,
    actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli",
) -> None:
    """Create or update users from a roster; a file with any bad row imports nothing. People with an empty password
    get a one-time activation code (written to --codes-out) to set theirs at POST /auth/activate."""
    from models.roster import parse_roster

    if codes_out is not None and os.path.lexists(codes_out):
        fail(f"--codes-out {codes_out} already exists: give a new file (codes are never overwritten)")
    stored = False

    def run(lines):
        from application.imports import CodesNotKept
        from flows.imports import import_users

        nonlocal stored
        try:
            done = import_users(lines, len(lines), actor, codes_out is not None)
        except CodesNotKept as exc:
            fail(f"{exc.count} people without a password get an activation code: give --codes-out FILE to keep "
                 f"them (nothing was imported)")
        stored = bool(done.codes)  # codes issued: the file is their only copy, whatever happens next
        if done.codes:
            _write_codes(out, done.codes)
            typer.echo(f"{codes_out}: {len(done.codes)} activation codes, valid until "
                       f"{max(c.expires_at for c in done.codes):%Y-%m-%d}; hand each person their own line")
        return done.counts()

    out = _claim(codes_out) if codes_out is not None else None
    try:
        run_import("roster", path, lambda text, origin: parse_roster(text, origin), run)
    finally:
        if out is not None:
            out.close()
            if not stored:
                os.unlink(codes_out)  # no code issued: leave no empty file behind


def _claim(path: str):
    """The codes file, created now (before importing) only if absent, readable by its owner alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        fail(f"--codes-out {path}: cannot create: {exc.strerror}")
    os.fchmod(fd, 0o600)  # whatever the umask
    return os.fdopen(fd, "w", encoding="utf-8-sig", newline="")


def _write_codes(out, codes) -> None:
    """One CSV line per issued code, flushed to disk."""
    import csv

    writer = csv.writer(out)
    writer.writerow(CODES_COLUMNS)
    writer.writerows((c.username, c.name, c.unit_code, c.code, c.expires_at.isoformat(timespec="seconds"))
                     for c in codes)
    out.flush()
    os.fsync(out.fileno())


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

"""`tisheng campaign enrol|sync-roster`: a region's office enrols its schools and keeps the teachers in step."""
from pathlib import Path
from typing import Annotated

import typer

from tisheng_cli.common import ACTOR_HELP, fail, fail_lines, prepare


def _run(step, *args, actor: str):
    """Run an enrolment service as the operator (a fresh unit of work per attempt on the audit chain)."""
    if not 1 <= len(actor) <= 64 or "\x00" in actor:
        fail("--actor must be 1 to 64 characters")
    prepare()
    from sqlalchemy.exc import IntegrityError

    from application.concurrency import committed_with_retry
    from models.errors import DomainError

    try:
        return committed_with_retry(step, None, *args, actor=actor)
    except DomainError as exc:
        fail_lines(exc.detail, 2)
    except IntegrityError:
        fail("the audit log kept moving under this change; try again", 1)


def enrol(campaign: Annotated[str, typer.Argument(help="The campaign's code.")],
          schools: Annotated[Path, typer.Option(help="CSV with a school_code column, or one school code per line.")],
          actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Enrol schools of the campaign's region (参训学校名单): their active teachers are enrolled and each new school
    gets its plan_submission task; enrolling again changes nothing; one bad code refuses the whole file."""
    from application.enrolment import enrol_schools
    from models.errors import DomainError
    from models.school_list import parse_school_list

    try:
        codes = parse_school_list(schools.read_text(encoding="utf-8-sig"), str(schools))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{schools}: cannot read the school list: {exc}")
    except DomainError as exc:
        fail_lines(exc.detail, 2)
    done = _run(enrol_schools, campaign, codes, actor=actor)
    typer.echo(f"{campaign}: enrolled {len(done.enrolled)} school(s) ({len(done.already)} already), "
               f"{done.teachers_enrolled} teacher(s), {done.plan_tasks_opened} plan_submission task(s) opened")


def sync_roster(campaign: Annotated[str, typer.Argument(help="The campaign's code.")],
                actor: Annotated[str, typer.Option(help=ACTOR_HELP)] = "cli") -> None:
    """Bring the campaign's teachers in line with the roster: joins, moves between schools (调动), withdrawals."""
    from application.enrolment import sync_roster as sync

    counts = _run(sync, campaign, actor=actor)
    typer.echo(f"{campaign}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

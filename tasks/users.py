"""Task that creates or updates users from a parsed roster, all or nothing."""
from prefect import task

from application import imports
from infra.unit_of_work import committed
from models.roster import RosterLine
from tasks.common import TASK_DEFAULTS
from tasks.step_progress import report_step


@task(**TASK_DEFAULTS)
def upsert_users(lines: list[RosterLine], actor: str = "cli", issue_codes: bool = True) -> imports.RosterImport:
    """Create or update the roster's users; an unknown unit, a wrong-level role or a service account refuses all.
    The result carries the activation codes issued: their only copy."""
    return committed(imports.import_users, lines, progress=report_step, actor=actor, issue_codes=issue_codes)

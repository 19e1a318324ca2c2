"""Flows that load an office's files: a platform's hour export, a replacement catalog."""
from prefect import flow

from application.imports import RosterImport
from models.catalog import CatalogEntry
from models.hours import HourRecord
from models.roster import RosterLine
from tasks.campaigns import campaign_id_of, replace_catalog
from tasks.teacher_work import import_hour_records
from tasks.users import upsert_users


@flow(name="import-hour-records", flow_run_name="hours · {campaign}", persist_result=False)
def import_hours(campaign: str, records: list[HourRecord]) -> dict[str, int]:
    """Store a validated hour export for a campaign and recompute the teachers' hours, all or nothing."""
    return import_hour_records(campaign_id_of(campaign), records)


@flow(name="import-catalog", flow_run_name="catalog · {campaign}", persist_result=False)
def import_catalog(campaign: str, entries: list[CatalogEntry]) -> dict[str, int]:
    """Replace a campaign's micro-ability catalog with a validated file."""
    return replace_catalog(campaign_id_of(campaign), entries)


@flow(name="import-users", flow_run_name="users · {count} lines", persist_result=False)
def import_users(lines: list[RosterLine], count: int, actor: str = "cli",
                 issue_codes: bool = True) -> RosterImport:
    """Create or update the users of a roster file; the result carries the activation codes issued, once."""
    return upsert_users(lines, actor, issue_codes)

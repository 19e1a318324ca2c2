"""Evidence custody, the system's steps: which of a school's versions to hold, release or retain, recording that
the store did it, when the school counts as locked, and which versions an integrity run re-reads.

The store calls themselves (setting holds and retention, re-reading bytes) are Prefect tasks of their own
(tasks/evidence.py); these services are what those tasks read and record, each in its caller's unit of work.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from infra import evidence_custody as custody
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.errors import DomainError
from models.evidence import LOCKED_STATES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredRef:
    """One evidence version to act on."""

    id: int
    key: str
    version_id: str


@dataclass(frozen=True)
class RecordedVersion:
    """An evidence version as recorded: what the store must still hold."""

    id: int
    school: str
    key: str
    version_id: str
    sha256: str


def locked_school_to_hold(uow: UnitOfWork, campaign: str, school: str) -> int:
    """The enrolment id of a locked school whose evidence an operator finishes holding; DomainError while
    the school is not locked (NotFound when it is not enrolled)."""
    enrolment = repo.school_enrolment(uow.session, campaign, school)
    if enrolment.state not in LOCKED_STATES:
        raise DomainError(f"school {school} is {enrolment.state}, not locked: nothing to hold")
    return enrolment.id


def evidence_to_hold(uow: UnitOfWork, enrolment_id: int) -> list[StoredRef]:
    """Versions of the school not yet recorded as held (so a rerun resumes where the last one stopped)."""
    return [StoredRef(*row) for row in custody.school_versions(uow.session, enrolment_id, held=False)]


def evidence_held(uow: UnitOfWork, enrolment_id: int) -> list[StoredRef]:
    """Versions of the school recorded as held."""
    return [StoredRef(*row) for row in custody.school_versions(uow.session, enrolment_id, held=True)]


def evidence_to_retain(uow: UnitOfWork, enrolment_id: int, until: datetime) -> list[StoredRef]:
    """Versions of the school not yet retained until `until`."""
    return [StoredRef(*row) for row in custody.school_versions(uow.session, enrolment_id, retained_before=until)]


def record_holds(uow: UnitOfWork, actor: str, ids: list[int], on: bool) -> int:
    """Record that the store now holds these versions (or no longer does); how many records changed."""
    changed = custody.set_held(uow.session, ids, on)
    log.debug("%s recorded %d version(s) as %s", actor, changed, "held" if on else "released")
    return changed


def record_retentions(uow: UnitOfWork, actor: str, ids: list[int], until: datetime) -> int:
    """Record that the store retains these versions until `until`; how many records changed."""
    changed = custody.set_retained(uow.session, ids, until)
    log.debug("%s recorded %d version(s) as retained until %s", actor, changed, until)
    return changed


def mark_school_held(uow: UnitOfWork, actor: str, enrolment_id: int) -> bool:
    """The school counts as locked once every version is held: stamp it then (and only while still locked)."""
    held = custody.stamp_held_if_all_held(uow.session, enrolment_id)
    log.debug("%s: enrolment %d %s", actor, enrolment_id, "counts as locked" if held else "is not fully held")
    return held


def clear_school_held(uow: UnitOfWork, actor: str, enrolment_id: int) -> None:
    """The school is open again (rectification): it no longer counts as locked."""
    custody.clear_held(uow.session, enrolment_id)
    log.debug("%s: enrolment %d no longer counts as locked", actor, enrolment_id)


def archive_until(uow: UnitOfWork, enrolment_id: int) -> datetime:
    """When certified evidence may be deleted: the certification time plus the policy's archive years."""
    certified, policy = custody.certification(uow.session, enrolment_id)
    year = certified.year + policy.evidence.archive_years
    return certified.replace(year=year, day=min(certified.day, 28 if certified.month == 2 else 31))


def recorded_versions(uow: UnitOfWork, campaign: str, county: str | None, school: str | None) -> list[RecordedVersion]:
    """Every recorded evidence version of a campaign, narrowed to a county or a school (NotFound: no campaign)."""
    return [RecordedVersion(*row) for row in custody.recorded_versions(uow.session, campaign, county, school)]

"""An office's files loaded into a campaign: a roster of users, a micro-ability catalog, a platform's hour export.

Each import is all or nothing: the file was parsed whole by `models/` before, and a line the database refuses
(an unknown unit, a teacher not enrolled, a catalog code already in use) refuses the whole file. `progress`, if
given, is told `(step, done, total)` as lines are stored (the CLI draws it as a bar).
"""
from collections.abc import Callable

from infra import imports as rows
from infra import repository as repo
from infra.security import hash_password
from application.teacher_work import recompute_hours
from infra.unit_of_work import UnitOfWork
from models.campaign import HourRecord as HourRecordRow, MicroAbility, TeacherEnrolment
from models.catalog import CatalogEntry
from models.errors import InvalidRecords, RuleViolated
from models.hours import HourRecord
from models.org import ROLE_LEVEL, Person
from models.policy import Policy
from models.roster import RosterLine

Progress = Callable[[str, int, int | None], None]

CHUNK = 500  # hour records flushed at a time


def _silent(step: str, done: int, total: int | None) -> None:
    return None


def import_users(uow: UnitOfWork, lines: list[RosterLine], progress: Progress = _silent) -> dict[str, int]:
    """Create or update the roster's users; an unknown unit, a wrong-level role or a service account refuses all."""
    session = uow.session
    units = rows.units_by_code(session, {x.unit_code for x in lines})
    existing = rows.people_by_username(session, [x.username for x in lines])
    problems = []
    for x in lines:
        unit = units.get(x.unit_code)
        if x.username in existing and existing[x.username].service_account:
            problems.append(f"line {x.line}: '{x.username}' is a service token's account, not a user")
        elif unit is None:
            problems.append(f"line {x.line}: unit '{x.unit_code}' does not exist")
        elif unit.level != ROLE_LEVEL[x.role]:
            problems.append(f"line {x.line}: role {x.role} belongs to a {ROLE_LEVEL[x.role]}, "
                            f"'{x.unit_code}' is a {unit.level}")
    if problems:
        raise InvalidRecords("; ".join(problems))
    for done, x in enumerate(lines, 1):
        person = existing.get(x.username) or Person(username=x.username)
        person.name, person.role, person.unit_id = x.name, x.role, units[x.unit_code].id
        person.password_hash = hash_password(x.password)
        if x.email is not None:
            person.email = x.email or None
        session.add(person)
        progress("users", done, len(lines))  # each line hashes a password: argon2, ~0.2 s
    session.flush()
    return {"users": len(lines), "created": len(set(x.username for x in lines) - set(existing))}


def replace_catalog(uow: UnitOfWork, campaign_id: int, entries: list[CatalogEntry]) -> dict[str, int]:
    """Upsert the entries and drop the rest; refuse in a closed campaign, or if a dropped code has submissions."""
    session = uow.session
    repo.writable_campaign(session, campaign_id)
    current = rows.campaign_catalog(session, campaign_id)
    dropped = set(current) - {e.code for e in entries}
    used = rows.codes_with_submissions(session, campaign_id, dropped)
    if used:
        raise RuleViolated("catalog_in_use", f"{', '.join(used)} already have submissions and cannot be removed")
    rows.remove_micro_abilities(session, [current[code] for code in dropped])
    for e in entries:
        row = current.get(e.code) or MicroAbility(campaign_id=campaign_id, code=e.code)
        row.name, row.environment, row.dimension = e.name, e.environment, e.dimension
        row.evidence_items, row.confirmed = list(e.evidence_items), e.confirmed
        session.add(row)
    session.flush()
    return {"entries": len(entries), "added": len({e.code for e in entries} - set(current)), "removed": len(dropped)}


def import_hour_records(uow: UnitOfWork, campaign_id: int, records: list[HourRecord],
                        progress: Progress = _silent) -> dict[str, int]:
    """Store records for known teachers of the campaign and recompute their hours; all or nothing."""
    session = uow.session
    campaign = repo.writable_campaign(session, campaign_id)  # a closed campaign takes no more hours
    policy = Policy.model_validate(campaign.policy)
    teachers = rows.enrolled_teachers(session, campaign_id)
    unknown = [f"line {r.line}: teacher '{r.teacher}' is not enrolled in this campaign"
               for r in records if r.teacher not in teachers]
    if unknown:
        raise InvalidRecords("; ".join(unknown))
    touched: dict[int, TeacherEnrolment] = {}
    for start in range(0, len(records), CHUNK):
        for r in records[start:start + CHUNK]:
            teacher = teachers[r.teacher]
            touched[teacher.id] = teacher
            session.add(HourRecordRow(teacher_enrolment_id=teacher.id, course=r.course, kind=r.kind,
                                      minutes_watched=r.minutes_watched, course_minutes=r.course_minutes))
        session.flush()
        progress("hour records stored", min(start + CHUNK, len(records)), len(records))
    for done, teacher in enumerate(touched.values(), 1):
        recompute_hours(uow.session, teacher, policy)
        progress("teachers' hours recomputed", done, len(touched))
    session.flush()
    return {"records": len(records), "teachers": len(touched)}


"""An office's files loaded into a campaign: a roster of users, a micro-ability catalog, a platform's hour export.

Each import is all or nothing: the file was parsed whole by `models/` before, and a line the database refuses
(an unknown unit, a teacher not enrolled, a catalog code already in use) refuses the whole file. `progress`, if
given, is told `(step, done, total)` as lines are stored (the CLI draws it as a bar).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from infra import imports as rows
from infra import repository as repo
from infra.security import hash_password
from application.enrolment import sync_rosters
from application.teacher_work import recompute_hours
from infra.unit_of_work import UnitOfWork
from models.campaign import HourRecord as HourRecordRow, MicroAbility, TeacherEnrolment
from models.catalog import CatalogEntry
from models import activation
from models.clock import utcnow
from models.enums import UnitLevel
from models.errors import DomainError, InvalidRecords, RuleViolated
from models.hours import HourRecord
from models.org import ROLE_LEVEL
from models.policy import Policy
from models.roster import RosterLine

Progress = Callable[[str, int, int | None], None]

CHUNK = 500  # hour records flushed at a time


def _silent(step: str, done: int, total: int | None) -> None:
    return None


@dataclass(frozen=True)
class IssuedCode:
    """An activation code handed out by an import: shown to the caller once, only its digest is stored."""

    username: str
    name: str
    unit_code: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class RosterImport:
    """What a roster import did: counts, the activation codes it issued (their only copy) and the schools touched."""

    users: int
    created: int
    updated: int
    codes: list[IssuedCode] = field(default_factory=list)
    school_unit_ids: frozenset[int] = frozenset()

    def counts(self) -> dict[str, int]:
        """The summary a command prints (activation codes only when some were issued)."""
        counts = {"users": self.users, "created": self.created}
        return counts | ({"activation codes": len(self.codes)} if self.codes else {})


class CodesNotKept(DomainError):
    """The import would issue activation codes but its caller said it cannot keep them: nothing was imported."""

    status_code = 422
    title = "Activation codes would be lost"

    def __init__(self, count: int):
        super().__init__(f"{count} people without a password would get an activation code")
        self.count = count


def _problems(lines: list[RosterLine], units: dict, existing: dict) -> list[str]:
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
    return problems


def _needs_code(person: dict, now: datetime) -> bool:
    """No password, active, and no unexpired code already out (a re-import does not replace a code in hand)."""
    return (person["password_hash"] is None and person["active"]
            and (person["activation_digest"] is None or activation.is_expired(person["activation_expires_at"], now)))


def import_users(uow: UnitOfWork, lines: list[RosterLine], progress: Progress = _silent, *, actor: str = "cli",
                 issue_codes: bool = True) -> RosterImport:
    """Create or update the roster's people set-wise; an unknown unit, a wrong-level role or a service account
    refuses all. A line with a password sets it (argon2); a person with none and no usable code gets an activation
    code, returned once. `issue_codes=False` refuses (CodesNotKept) rather than issue codes nobody would keep."""
    session, now = uow.session, utcnow()
    units = rows.unit_rows_by_code(session, {x.unit_code for x in lines})
    existing = rows.person_rows_by_username(session, [x.username for x in lines])
    problems = _problems(lines, units, existing)
    if problems:
        raise InvalidRecords("; ".join(problems))
    new, changed, codes, schools, left = [], [], [], set(), set()
    every = max(1, len(lines) // 200)  # a bar moves in 200 steps at most
    for done, x in enumerate(lines, 1):
        unit, old = units[x.unit_code], existing.get(x.username)
        person = dict(old._mapping) if old is not None else {
            "username": x.username, "active": True, "service_account": False, "password_hash": None,
            "email": None, "activation_digest": None, "activation_expires_at": None}
        person.update(name=x.name, role=str(x.role), unit_id=unit.id)
        if x.email is not None:
            person["email"] = x.email or None
        if x.password:  # staff given a password in the file: argon2, ~0.2 s each, so few lines should have one
            person.update(password_hash=hash_password(x.password), activation_digest=None, activation_expires_at=None)
        elif _needs_code(person, now):
            code, expires = activation.new_code(), activation.expiry(now)
            person.update(activation_digest=activation.digest(code), activation_expires_at=expires)
            codes.append(IssuedCode(x.username, x.name, x.unit_code, code, expires))
        if unit.level == UnitLevel.SCHOOL:
            schools.add(unit.id)
        if old is None:
            new.append(person)
        elif any(person[f] != old._mapping[f] for f in rows.PERSON_FIELDS):
            changed.append(person)
            if old.unit_id != unit.id:
                left.add(old.unit_id)
        if done % every == 0 or done == len(lines):
            progress("users", done, len(lines))
    if codes and not issue_codes:
        raise CodesNotKept(len(codes))
    rows.insert_people(session, new)
    rows.update_people(session, changed)
    touched = frozenset(schools | rows.school_ids_among(session, left))
    sync_rosters(uow, actor, set(touched))  # joins, moves (调动) and leavers in the open campaigns, same transaction
    return RosterImport(len(lines), len(new), len(changed), codes, touched)


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


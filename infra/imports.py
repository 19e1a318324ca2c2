"""Reads and writes of an office's imported files (a roster, a catalog, a platform's hour export); none commits."""
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlmodel import Session

from models.campaign import MicroAbility, Submission, TeacherEnrolment
from models.org import Person, Unit


def units_by_code(session: Session, codes: Collection[str]) -> dict[str, Unit]:
    """The units among these codes, by code (an unknown code is simply absent)."""
    return {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(set(codes)))).all()}


def people_by_username(session: Session, usernames: Collection[str]) -> dict[str, Person]:
    """The people (users and service accounts) among these usernames, by username."""
    return {p.username: p for p in session.scalars(select(Person).where(Person.username.in_(list(usernames)))).all()}


CHUNK = 5000
"""Rows (or looked-up keys) per statement: under SQLite's bound-parameter limit, few round trips to PostgreSQL."""

_person = Person.__table__
_unit = Unit.__table__
PERSON_FIELDS = ("name", "role", "unit_id", "password_hash", "email", "activation_digest", "activation_expires_at")
"""The columns a roster import writes on a person it updates."""


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def unit_rows_by_code(session: Session, codes: Collection[str]) -> dict[str, Row]:
    """(id, code, level) of the units among these codes, by code, looked up in chunks."""
    found: dict[str, Row] = {}
    for chunk in _chunks(sorted(set(codes))):
        found.update((u.code, u) for u in session.execute(
            select(_unit.c.id, _unit.c.code, _unit.c.level).where(_unit.c.code.in_(chunk))))
    return found


def school_ids_among(session: Session, unit_ids: Collection[int]) -> set[int]:
    """Those of the unit ids that are schools."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(unit_ids))):
        found.update(session.scalars(select(_unit.c.id).where(_unit.c.id.in_(chunk), _unit.c.level == "school")))
    return found


def person_rows_by_username(session: Session, usernames: Collection[str]) -> dict[str, Row]:
    """Every column of the people among these usernames, by username, looked up in chunks (no ORM objects)."""
    found: dict[str, Row] = {}
    for chunk in _chunks(sorted(set(usernames))):
        found.update((p.username, p) for p in session.execute(select(_person).where(_person.c.username.in_(chunk))))
    return found


def insert_people(session: Session, people: Sequence[dict[str, Any]]) -> None:
    """Insert new people in chunks (one multi-row statement per chunk)."""
    for chunk in _chunks(people):
        session.execute(insert(_person), list(chunk))


def update_people(session: Session, people: Sequence[dict[str, Any]]) -> None:
    """Write PERSON_FIELDS of existing people (each dict also carries its `id`) in chunks (executemany)."""
    statement = update(_person).where(_person.c.id == bindparam("person_id")).values(
        {f: bindparam(f"new_{f}") for f in PERSON_FIELDS})
    for chunk in _chunks(people):
        session.connection().execute(statement, [
            {"person_id": p["id"], **{f"new_{f}": p[f] for f in PERSON_FIELDS}} for p in chunk])
    if people:
        session.expire_all()  # ORM objects loaded earlier in this session no longer match their rows


def campaign_catalog(session: Session, campaign_id: int) -> dict[str, MicroAbility]:
    """A campaign's micro-abilities, by code."""
    return {m.code: m for m in session.scalars(select(MicroAbility).where(MicroAbility.campaign_id == campaign_id))}


def codes_with_submissions(session: Session, campaign_id: int, codes: Collection[str]) -> list[str]:
    """Those of the codes some teacher of the campaign has submitted evidence for, sorted."""
    return sorted(session.scalars(
        select(MicroAbility.code).join(Submission, Submission.micro_ability_id == MicroAbility.id)
        .where(MicroAbility.campaign_id == campaign_id, MicroAbility.code.in_(set(codes)))).unique().all())


def remove_micro_abilities(session: Session, rows: Iterable[MicroAbility]) -> None:
    """Drop catalog entries (their submissions were checked absent by the caller)."""
    for row in rows:
        session.delete(row)


def enrolled_teachers(session: Session, campaign_id: int) -> dict[str, TeacherEnrolment]:
    """The campaign's teacher enrolments, by the teacher's username."""
    return dict(session.execute(
        select(Person.username, TeacherEnrolment).join(TeacherEnrolment, TeacherEnrolment.teacher_id == Person.id)
        .where(TeacherEnrolment.campaign_id == campaign_id, TeacherEnrolment.withdrawn_at.is_(None))).all())

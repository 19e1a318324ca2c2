"""SQL of the unit tree's import and listing: the stored tree, the units campaign data hangs on, bulk writes in
chunks (a province files ~25,000 units at once). Nothing here commits."""
from collections.abc import Sequence

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.campaign import Campaign, SchoolEnrolment
from models.org import Unit

CHUNK = 5000


def stored_tree(session: Session) -> dict[str, tuple[int, str, str | None, str, str | None, str | None]]:
    """Every stored unit by code: (id, level, parent code, name, school type, township)."""
    parent = aliased(Unit)
    rows = session.execute(select(Unit.code, Unit.id, Unit.level, parent.code, Unit.name, Unit.school_type,
                                  Unit.township).outerjoin(parent, parent.id == Unit.parent_id)).all()
    return {code: (uid, level, parent_code, name, kind, township)
            for code, uid, level, parent_code, name, kind, township in rows}


def units_with_campaign_data(session: Session) -> set[int]:
    """Units a campaign is run for, or a school enrolled in one."""
    regions = session.scalars(select(Campaign.region_unit_id)).all()
    schools = session.scalars(select(SchoolEnrolment.school_id).distinct()).all()
    return set(regions) | set(schools)


def insert_units(session: Session, rows: Sequence[dict]) -> None:
    """Insert units (code, name, level, parent_id, school_type, township) in chunks."""
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Unit), list(rows[start:start + CHUNK]))


def update_units(session: Session, rows: Sequence[dict]) -> None:
    """Set name, parent, school type and township of stored units by id (key `uid`), in chunks."""
    table = Unit.__table__
    statement = update(table).where(table.c.id == bindparam("uid")).values(
        name=bindparam("name"), parent_id=bindparam("parent_id"), school_type=bindparam("school_type"),
        township=bindparam("township"))
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, list(rows[start:start + CHUNK]))
    session.expire_all()


def ids_by_code(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """The ids of these unit codes (looked up in chunks)."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), CHUNK):
        found.update(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes[start:start + CHUNK]))).all())
    return found


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit of this code, if any."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def children_page(session: Session, parent_id: int, page: int, page_size: int) -> tuple[int, list[Unit]]:
    """One page of a unit's direct children by code, and how many it has."""
    total = session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id == parent_id))
    rows = session.scalars(select(Unit).where(Unit.parent_id == parent_id).order_by(Unit.code)
                           .offset((page - 1) * page_size).limit(page_size)).all()
    return total, list(rows)

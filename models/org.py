"""The unit tree (province → city → county → school) and the people bound to units with a role."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.enums import Role, UnitLevel


class Unit(SQLModel, table=True):
    """A province, city, county or school, identified by a stable code."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    level: UnitLevel = Field(sa_type=String(16))
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    school_type: str | None = Field(default=None, max_length=16)  # 幼儿园 / 小学 / 初中 / 高中 / 完全中学 / 九年一贯制 / 中职
    township: str | None = Field(default=None, max_length=100)  # 乡镇


class Person(SQLModel, table=True):
    """A user of the system: one role, bound to one unit."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=100)
    role: Role = Field(sa_type=String(32))
    unit_id: int = Field(foreign_key="unit.id", index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = True
    service_account: bool = False  # the principal of a service token: no password, acts only by its token
    email: str | None = Field(default=None, max_length=254)  # where reminder digests are mailed, if anywhere
    activation_digest: str | None = Field(default=None, max_length=64)  # SHA-256 of a one-time activation code
    activation_expires_at: datetime | None = None



@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a person, or a service token's account; what scope and audit checks read."""

    id: int
    username: str
    name: str
    role: Role
    unit_id: int
    service_account: bool = False

    @classmethod
    def of(cls, person: Person) -> "Principal":
        """The principal of a loaded person."""
        return cls(person.id, person.username, person.name, person.role, person.unit_id, person.service_account)

ROLE_LEVEL = {
    Role.TEACHER: UnitLevel.SCHOOL, Role.GROUP_LEADER: UnitLevel.SCHOOL, Role.SCHOOL_ADMIN: UnitLevel.SCHOOL,
    Role.COUNTY_OFFICE: UnitLevel.COUNTY, Role.COUNTY_EXPERT: UnitLevel.COUNTY,
    Role.CITY_OFFICE: UnitLevel.CITY, Role.CITY_EXPERT: UnitLevel.CITY, Role.PROVINCE_AUDITOR: UnitLevel.PROVINCE,
}
"""The level of unit each role is bound to (DOMAIN.md's role table)."""

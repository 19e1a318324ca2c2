"""The unit tree (province → city → county → school) and the people bound to units with a role."""
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


class Person(SQLModel, table=True):
    """A user of the system: one role, bound to one unit."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=100)
    role: Role = Field(sa_type=String(32))
    unit_id: int = Field(foreign_key="unit.id", index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = True

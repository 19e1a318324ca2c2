"""A roster CSV of users (username, name, role, unit code, password), parsed with line-numbered errors."""
from dataclasses import dataclass

from models.csv_rows import parse_rows
from models.enums import Role
from models.errors import InvalidRecords

ROSTER_COLUMNS = ("username", "name", "role", "unit_code", "password")


@dataclass(frozen=True)
class RosterLine:
    """One user to create or update."""

    username: str
    name: str
    role: Role
    unit_code: str
    password: str
    line: int


def parse_roster(text: str, origin: str = "roster") -> list[RosterLine]:
    """Parse a roster; raise InvalidRecords naming every bad line, accepting none."""
    seen: set[str] = set()

    def line_of(row: list[str], line: int) -> RosterLine:
        username, name, role, unit, password = row
        if not username or not name or not unit:
            raise ValueError("username, name and unit_code are required")
        if username in seen:
            raise ValueError(f"duplicate username '{username}'")
        if role not in Role.__members__.values():
            raise ValueError(f"role '{role}' is not one of {', '.join(Role)}")
        if len(password) < 8:
            raise ValueError("password must have at least 8 characters")
        seen.add(username)
        return RosterLine(username, name, Role(role), unit, password, line)

    return parse_rows(text, ROSTER_COLUMNS, origin, line_of, InvalidRecords)

"""A roster CSV of users (username, name, role, unit code, password), parsed with line-numbered errors."""
import csv
import io
from dataclasses import dataclass

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
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != ROSTER_COLUMNS:
        raise InvalidRecords(f"{origin}: line 1: header must be {','.join(ROSTER_COLUMNS)}")
    lines, problems, seen = [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        problem = _problem(row, seen)
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        username, name, role, unit, password = (c.strip() for c in row)
        seen.add(username)
        lines.append(RosterLine(username, name, Role(role), unit, password, number))
    if problems:
        raise InvalidRecords(f"{origin}: " + "; ".join(problems))
    return lines


def _problem(row: list[str], seen: set[str]) -> str | None:
    if len(row) != len(ROSTER_COLUMNS):
        return f"expected {len(ROSTER_COLUMNS)} columns, got {len(row)}"
    username, name, role, unit, password = (c.strip() for c in row)
    if not username or not name or not unit:
        return "username, name and unit_code are required"
    if username in seen:
        return f"duplicate username '{username}'"
    if role not in Role.__members__.values():
        return f"role '{role}' is not one of {', '.join(Role)}"
    if len(password) < 8:
        return "password must have at least 8 characters"
    return None

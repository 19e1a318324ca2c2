"""A roster CSV of users (username, name, role, unit code, password[, email]), parsed with line-numbered errors.

An empty password means none: the person signs in first with a one-time activation code (models/activation.py).
"""
import re
from dataclasses import dataclass

from models.activation import MIN_PASSWORD
from models.csv_rows import parse_rows
from models.enums import Role
from models.errors import InvalidRecords

ROSTER_COLUMNS = ("username", "name", "role", "unit_code", "password")
EMAIL_COLUMN = "email"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class RosterLine:
    """One user to create or update."""

    username: str
    name: str
    role: Role
    unit_code: str
    password: str  # "": no password given (keep the stored one, or issue an activation code)
    line: int
    email: str | None = None  # None: the file has no email column (keep what is stored); "": clear it


def parse_roster(text: str, origin: str = "roster") -> list[RosterLine]:
    """Parse a roster (the email column is optional); raise InvalidRecords naming every bad line, accepting none."""
    seen: set[str] = set()
    header = next((line for line in text.splitlines() if not line.lstrip().startswith("#")), "")
    columns = (*ROSTER_COLUMNS, EMAIL_COLUMN) if header.strip().endswith(f",{EMAIL_COLUMN}") else ROSTER_COLUMNS

    def line_of(row: list[str], line: int) -> RosterLine:
        username, name, role, unit, password, *rest = row
        if not username or not name or not unit:
            raise ValueError("username, name and unit_code are required")
        if username in seen:
            raise ValueError(f"duplicate username '{username}'")
        if role not in Role.__members__.values():
            raise ValueError(f"role '{role}' is not one of {', '.join(Role)}")
        if password and len(password) < MIN_PASSWORD:
            raise ValueError(f"password must be empty or have at least {MIN_PASSWORD} characters")
        email = rest[0] if rest else None
        if email and (len(email) > 254 or not EMAIL.match(email)):
            raise ValueError(f"email '{email}' is not an e-mail address")
        seen.add(username)
        return RosterLine(username, name, Role(role), unit, password, line, email)

    return parse_rows(text, columns, origin, line_of, InvalidRecords)

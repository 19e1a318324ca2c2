"""Reading an office's CSV file: a fixed header, one record per line, every bad line named, all or nothing."""
import csv
import io
from collections.abc import Callable, Sequence
from typing import TypeVar

from models.errors import DomainError

T = TypeVar("T")


def parse_rows(text: str, columns: Sequence[str], origin: str, parse_row: Callable[[list[str], int], T],
               error: type[DomainError]) -> list[T]:
    """Records of a CSV text; `parse_row` raises ValueError for a bad row. Lines starting with # are comments;
    line numbers count them, so they match what the office sees in its editor."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.lstrip().startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in numbered))))
    if not rows or tuple(c.strip() for c in rows[0]) != tuple(columns):
        first = numbered[0][0] if numbered else 1
        raise error(f"{origin}: line {first}: header must be {','.join(columns)}")
    records, problems = [], []
    for (line, _), row in zip(numbered[1:], rows[1:]):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(f"line {line}: expected {len(columns)} columns, got {len(row)}")
            continue
        try:
            records.append(parse_row([cell.strip() for cell in row], line))
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise error(f"{origin}: " + "; ".join(problems))
    return records

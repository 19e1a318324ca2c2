"""The micro-ability catalog (微能力点) as replaceable data, parsed with line-numbered errors."""
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from models.errors import InvalidCatalog

DEFAULT_CATALOG = Path(__file__).parent / "data" / "micro_abilities.csv"
ENVIRONMENTS = {"A": "多媒体教学环境", "B": "混合学习环境", "C": "智慧学习环境"}
DIMENSIONS = ("学情分析", "教学设计", "学法指导", "学业评价")
COLUMNS = ("code", "name", "environment", "dimension", "evidence_items", "confirmed")


@dataclass(frozen=True)
class CatalogEntry:
    """One micro-ability: code, name, environment, dimension and required evidence items."""

    code: str
    name: str
    environment: str
    dimension: str
    evidence_items: tuple[str, ...]
    confirmed: bool


def parse_catalog(text: str, origin: str = "catalog") -> list[CatalogEntry]:
    """Parse catalog CSV text; raise InvalidCatalog listing every bad line, accepting nothing."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.lstrip().startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in numbered))))
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        raise InvalidCatalog(f"{origin}: header must be {','.join(COLUMNS)}")
    problems: list[str] = []
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for (line_no, _), row in zip(numbered[1:], rows[1:]):
        if not any(cell.strip() for cell in row):
            continue
        problem = _row_problem(row, seen)
        if problem:
            problems.append(f"line {line_no}: {problem}")
            continue
        code, name, env, dim, items, confirmed = (c.strip() for c in row)
        seen.add(code)
        entries.append(CatalogEntry(code, name, env, dim, tuple(i.strip() for i in items.split(";")), confirmed == "yes"))
    if problems:
        raise InvalidCatalog(f"{origin}: " + "; ".join(problems))
    if not entries:
        raise InvalidCatalog(f"{origin}: no micro-abilities")
    return entries


def _row_problem(row: list[str], seen: set[str]) -> str | None:
    if len(row) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns, got {len(row)}"
    code, name, env, dim, items, confirmed = (c.strip() for c in row)
    if not code or not name:
        return "code and name are required"
    if code in seen:
        return f"duplicate code '{code}'"
    if env not in ENVIRONMENTS:
        return f"environment '{env}' is not one of {', '.join(ENVIRONMENTS)}"
    if dim not in DIMENSIONS:
        return f"dimension '{dim}' is not one of {', '.join(DIMENSIONS)}"
    if not any(i.strip() for i in items.split(";")):
        return "at least one evidence item is required"
    if confirmed not in ("yes", "no"):
        return "confirmed must be yes or no"
    return None


def load_catalog(path: Path = DEFAULT_CATALOG) -> list[CatalogEntry]:
    """Read a catalog file (the shipped default when no path is given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidCatalog(f"{path}: cannot read catalog: {exc}") from exc
    return parse_catalog(text, origin=str(path))

"""The micro-ability catalog (微能力点) as replaceable data, parsed with line-numbered errors."""
from dataclasses import dataclass
from pathlib import Path

from models.csv_rows import parse_rows
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
    seen: set[str] = set()

    def entry(row: list[str], _line: int) -> CatalogEntry:
        code, name, env, dim, items, confirmed = row
        if not code or not name:
            raise ValueError("code and name are required")
        if code in seen:
            raise ValueError(f"duplicate code '{code}'")
        if env not in ENVIRONMENTS:
            raise ValueError(f"environment '{env}' is not one of {', '.join(ENVIRONMENTS)}")
        if dim not in DIMENSIONS:
            raise ValueError(f"dimension '{dim}' is not one of {', '.join(DIMENSIONS)}")
        if not any(i.strip() for i in items.split(";")):
            raise ValueError("at least one evidence item is required")
        if confirmed not in ("yes", "no"):
            raise ValueError("confirmed must be yes or no")
        seen.add(code)
        return CatalogEntry(code, name, env, dim, tuple(i.strip() for i in items.split(";") if i.strip()), confirmed == "yes")

    entries = parse_rows(text, COLUMNS, origin, entry, InvalidCatalog)
    if not entries:
        raise InvalidCatalog(f"{origin}: no micro-abilities")
    return entries


def load_catalog(path: Path = DEFAULT_CATALOG) -> list[CatalogEntry]:
    """Read a catalog file (the shipped default when no path is given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidCatalog(f"{path}: cannot read catalog: {exc}") from exc
    return parse_catalog(text, origin=str(path))

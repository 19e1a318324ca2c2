"""The layout is honest: each layer imports and does only what ARCHITECTURE.md lets it (checked on the source)."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(r"(?<![.\w])(select|text|update|insert|delete)\(|session_scope")


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function, and every name imported from one."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _code(path: Path) -> str:
    """The module's source without docstrings and comments, so prose naming a statement does not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.unparse(tree)


@pytest.mark.parametrize("folder", ["tasks", "flows", "application"])
def test_no_sql_and_no_session_outside_infra(folder):
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in _modules(folder) for m in SQL.finditer(_code(p))]
    assert offenders == []


def test_no_route_commits_a_session_or_reaches_below_the_application_layer():
    commits = [str(p.relative_to(ROOT)) for p in _modules("api") if "session.commit()" in _code(p)]
    below = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.startswith(("infra", "sqlalchemy", "sqlmodel"))
                                              and not n.startswith("infra.settings"))
             for p in _modules("api/routes")}
    assert commits == []
    assert {k: v for k, v in below.items() if v} == {}


def test_services_never_commit_but_through_their_own_unit_of_work():
    committing = [str(p.relative_to(ROOT)) for p in _modules("application") if ".commit()" in _code(p)]
    assert committing == sorted(OWN_UNITS_OF_WORK)


OWN_UNITS_OF_WORK = {
    "application/idempotency.py",  # the key is claimed in its own short transaction, before the request's work
    "application/concurrency.py",  # the one retry loop: it is its step's caller, one transaction per attempt
}


def test_the_cli_has_no_import_circle_and_no_database_session():
    modules = {p.stem: _imports(p) for p in _modules("tisheng_cli")}
    back_to_main = sorted(name for name, imports in modules.items() if name != "main" and "tisheng_cli.main" in imports)
    sessions = sorted(name for name, imports in modules.items()
                      if {"infra.db.session_scope", "infra.repository", "sqlalchemy", "sqlmodel"} & imports)
    assert back_to_main == [] and sessions == []


def test_task_subjects_are_typed_columns_not_parsed_strings():
    parsed = [str(p.relative_to(ROOT)) for folder in ("api", "application", "infra", "tasks", "flows", "models")
              for p in _modules(folder) if 'subject.split(' in _code(p)]
    assert parsed == []

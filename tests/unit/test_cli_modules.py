"""The CLI's shape: one module per command group, helpers in tisheng_cli/common.py, and no import circle."""
import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "tisheng_cli"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_command_module_imports_the_app_back():
    importers = [p.name for p in CLI.glob("*.py") if p.name != "main.py" and "tisheng_cli.main" in imported_modules(p)]
    assert importers == []


def test_main_only_assembles_the_app():
    tree = ast.parse((CLI / "main.py").read_text(encoding="utf-8"))
    assert [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)] == []


def test_commands_reach_the_database_only_through_services():
    direct = [p.name for p in CLI.glob("*.py") if {"infra.db.session_scope", "infra.repository"} & imported_modules(p)]
    assert direct == []

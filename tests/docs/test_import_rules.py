"""The import rules of docs/architecture.md hold in the code: every module-level or lazy import
of one dxq package by another is an allowed edge, GX is imported by checks/gx/ only, and
Streamlit by the dashboard only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "monitor", "checks", "alerts", "datasources", "store", "demo")
ALLOWED = {
    "datasources": set(),
    "checks": {"datasources"},
    "alerts": {"datasources"},
    "store": {"checks", "alerts", "datasources"},
    "monitor": {"checks", "alerts", "datasources", "store", "demo"},
    "dashboard": {"monitor", "checks", "alerts", "datasources", "store"},
    "demo": {"monitor", "checks", "alerts", "datasources", "store"},
}
ONLY_IN = {  # a third-party package -> the only files (or folders) that may import it
    "great_expectations": ("checks/gx/",),
    "streamlit": ("dashboard/", "streamlit_app.py"),
}
MONITOR_TO_DEMO = {"monitor/cli.py"}  # `dxq demo` starts the demo, imported when it runs


def imports(path: Path) -> set[str]:
    """The top-level names of every absolute import in a module, lazy ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules() -> list[Path]:
    found = [ROOT / "streamlit_app.py"]
    for package in PACKAGES:
        found += sorted((ROOT / package).rglob("*.py"))
    return found


def test_packages_import_only_downwards() -> None:
    wrong = []
    for path in modules():
        name = path.relative_to(ROOT).as_posix()
        package = name.split("/")[0]
        if package not in ALLOWED:
            continue
        for used in imports(path) & set(PACKAGES) - {package} - ALLOWED[package]:
            wrong.append(f"{name} imports {used}")
        if package == "monitor" and "demo" in imports(path) and name not in MONITOR_TO_DEMO:
            wrong.append(f"{name} imports demo (only {sorted(MONITOR_TO_DEMO)} may)")
    assert wrong == [], "imports against docs/architecture.md:\n" + "\n".join(wrong)


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_heavy_libraries_stay_in_their_place(library: str) -> None:
    places = ONLY_IN[library]
    wrong = [
        path.relative_to(ROOT).as_posix()
        for path in modules()
        if library in imports(path) and not path.relative_to(ROOT).as_posix().startswith(places)
    ]
    assert wrong == [], f"{library} imported outside {places}: {wrong}"


def test_the_rules_catch_a_wrong_import(tmp_path: Path) -> None:
    wrong = tmp_path / "module.py"
    wrong.write_text("def f():\n    from store.store import ResultStore\n", encoding="utf-8")
    assert "store" in imports(wrong) and "store" not in ALLOWED["checks"]

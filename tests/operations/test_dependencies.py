"""pyproject.toml declares every library the packages import (an installed wheel gets nothing
else), and requirements.txt pins each declared library to a version inside its declared range
(the two commands install those pins)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = ("alerts", "checks", "dashboard", "datasources", "demo", "monitor", "store")
# Imported directly but shipped, in lockstep, by a declared library.
PROVIDED_BY = {"pydantic-core": "pydantic"}


def _declared() -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(r) for r in extra if not r.startswith("dxq[")]
    return {canonicalize_name(r.name): r for r in found}


def _imported_top_names() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def test_every_imported_library_is_declared() -> None:
    distributions = packages_distributions()
    declared = _declared()
    missing = []
    for name in sorted(_imported_top_names()):
        dists = {canonicalize_name(d) for d in distributions.get(name, [name])}
        if not any(PROVIDED_BY.get(d, d) in declared for d in dists):
            missing.append(f"{name} ({', '.join(sorted(dists))})")
    assert missing == [], f"imported but not in pyproject.toml dependencies: {missing}"


def test_requirements_pin_every_declared_library_inside_its_range() -> None:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line)
            assert match, f"requirements.txt: {line!r} is not an exact pin NAME==VERSION"
            pins[canonicalize_name(match[1])] = match[3]
    problems = []
    for name, requirement in sorted(_declared().items()):
        if name not in pins:
            problems.append(f"{name}: declared, not pinned")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{name}=={pins[name]} is outside {requirement.specifier}")
    assert problems == []

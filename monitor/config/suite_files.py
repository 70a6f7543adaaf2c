"""Light validation of GX suite files (GX 1.x JSON) without importing great_expectations."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from monitor.config.document import LOADER
from monitor.config.expectation_types import EXPECTATION_TYPES
from monitor.errors import Problem

if TYPE_CHECKING:
    from monitor.config.model import Config

Loc = tuple[str | int, ...]


def validate_suites(config: Config) -> list[Problem]:
    """Problems in every suite file a loaded config names (missing files included)."""
    problems: list[Problem] = []
    seen: set[Path] = set()
    for integration in config.integrations.values():
        for suite in integration.suites:
            path = config.suite_path(suite)
            if path in seen:
                continue
            seen.add(path)
            problems.extend(check_suite_file(path))
    return problems


def check_suite_file(path: Path) -> list[Problem]:
    """Problems in one suite file; an empty list when it looks like a valid GX suite."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [Problem(str(path), None, "", "suite file not found")]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(str(path), None, "", f"cannot read the suite file: {exc}")]
    return check_suite_text(text, str(path))


def check_suite_text(text: str, file: str) -> list[Problem]:
    """Problems in the JSON text of a suite; `file` names it in the problems."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(file, exc.lineno, "", f"invalid JSON: {exc.msg}")]
    lines = json_lines(text)
    problems: list[Problem] = []

    def add(loc: Loc, message: str) -> None:
        where = loc
        while where and where not in lines:
            where = where[:-1]
        problems.append(Problem(file, lines.get(where), format_json_loc(loc), message))

    if not isinstance(data, dict):
        add((), "expected a JSON object with 'name' and 'expectations'")
        return problems
    if not isinstance(data.get("name"), str) or not data["name"]:
        add(("name",) if "name" in data else (), "missing the suite 'name' (a string)")
    expectations = data.get("expectations")
    if not isinstance(expectations, list):
        add(("expectations",) if "expectations" in data else (), "expected a list 'expectations'")
        return problems
    for index, expectation in enumerate(expectations):
        for loc, message in check_expectation(expectation):
            add(("expectations", index, *loc), message)
    return problems


def check_expectation(expectation: Any) -> list[tuple[Loc, str]]:
    """Problems in one expectation: its `type` and `kwargs`."""
    if not isinstance(expectation, dict):
        return [((), "expected an object with 'type' and 'kwargs'")]
    found: list[tuple[Loc, str]] = []
    kind = expectation.get("type")
    if kind is None and "expectation_type" in expectation:
        found.append((("expectation_type",), "GX 0.x form: rename 'expectation_type' to 'type'"))
    elif not isinstance(kind, str):
        found.append(((), "missing the expectation 'type'"))
    elif kind not in EXPECTATION_TYPES:
        close = difflib.get_close_matches(kind, sorted(EXPECTATION_TYPES), n=1, cutoff=0.8)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        found.append((("type",), f"unknown expectation type '{kind}'{hint}"))
    if not isinstance(expectation.get("kwargs"), dict):
        loc: Loc = ("kwargs",) if "kwargs" in expectation else ()
        found.append((loc, "expected 'kwargs', an object of the expectation's arguments"))
    return found


def format_json_loc(loc: Loc) -> str:
    """ "expectations[2].type" from a location tuple."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def json_lines(text: str) -> dict[Loc, int]:
    """The line of every key and item of a JSON text (JSON is YAML); empty if unreadable."""
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.YAMLError:
        return {}
    lines: dict[Loc, int] = {(): 1}

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*loc, str(key.value))] = key.start_mark.line + 1
                walk(value, (*loc, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*loc, index)] = item.start_mark.line + 1
                walk(item, (*loc, index))

    if root is not None:
        walk(root, ())
    return lines

"""Suite files named by a monitor file, checked by the one suite validator (checks.suite_file).

This module only places the validator's findings on the lines of the JSON text, so
`dxq validate` reports them as `file:line: expectations[2].type: message`. No GX import.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from checks.suite_file import Loc, SuiteProblem, load_suite
from monitor.config.aliases import alias_problem
from monitor.config.document import LOADER
from monitor.errors import Problem


def check_suite_file(path: Path) -> list[Problem]:
    """Problems in one suite file; an empty list when dxq can run it."""
    document = load_suite(path)
    if not document.findings:
        return []
    try:
        lines = json_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError):
        lines = {}
    return [_problem(str(path), finding, lines) for finding in document.findings]


def _problem(file: str, finding: SuiteProblem, lines: dict[Loc, int]) -> Problem:
    where = finding.loc
    while where and where not in lines:
        where = where[:-1]
    line = finding.line if finding.line is not None else lines.get(where)
    return Problem(file, line, finding.where, finding.message)


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

    if root is not None and alias_problem(root) is None:  # JSON has no aliases
        walk(root, ())
    return lines

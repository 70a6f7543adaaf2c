"""docs/cli.md names every `dxq` command and every option the parser has, so a new command
or option cannot go undocumented."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli import _parser

ROOT = Path(__file__).resolve().parents[2]


def commands(parser: argparse.ArgumentParser, path: str = "dxq") -> dict[str, list[str]]:
    """Each command path ("dxq alerts route") and its long options."""
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found |= commands(child, f"{path} {name}")
    options = [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    if path != "dxq" and not any(key.startswith(f"{path} ") for key in found):
        found[path] = options
    return found


def test_every_command_and_option_is_in_docs_cli() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    found = commands(_parser())
    assert {"dxq run", "dxq alerts route", "dxq db upgrade"} <= set(found)
    missing = [
        f"{command} {option}".strip()
        for command, options in sorted(found.items())
        for option in ["", *options]
        if f"## {command}\n" not in page or (option and option not in page)
    ]
    assert missing == [], f"docs/cli.md does not describe: {missing}"

"""Root-route and node rules are one rule (`alerts.routing.root_problems` / `node_problems`):
`dxq validate` (the monitor file) and `validate_tree` give the same verdicts, the monitor file's
as `file:line: path: message`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alerts.routing import validate_tree
from monitor.config.loading import load_config
from monitor.errors import ConfigError
from monitor.run.alert_context import convert_route

HEAD = """\
version: 1
owners:
  ops: {role: maintenance, email: ops@example.com}
  po: {role: business, email: po@example.com}
smtp: {host: 127.0.0.1}
"""


def _problems(tmp_path: Path, routes: str) -> tuple[Path, list[str]]:
    path = tmp_path / "dxq.yml"
    path.write_text(HEAD + textwrap.dedent(routes), encoding="utf-8")
    try:
        load_config(path, {})
    except ConfigError as exc:
        return path, [str(p) for p in exc.problems]
    return path, []


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (
            """\
            routes:
              receiver: ops
              repeat_interval: 0
            """,
            "6: routes: repeat_interval must be positive (leave it out to use the default of "
            "the parent)",
        ),
        (
            """\
            routes:
              receiver: ops
              routes:
                - receiver: po
                  match: {kind: run_error}
                  repeat_interval: 0s
            """,
            "9: routes.routes[0]: repeat_interval must be positive (leave it out to use the "
            "default of the parent)",
        ),
        (
            """\
            routes:
              match: {severity: critical}
            """,
            "6: routes: the root route matches every alert: remove its matchers; the root route "
            "needs a 'receiver': it catches every alert",
        ),
    ],
)
def test_the_monitor_file_keeps_the_route_rules(tmp_path: Path, routes: str, expected: str) -> None:
    path, found = _problems(tmp_path, routes)
    assert found == [f"{path}:{expected}"]


def test_a_good_tree_passes_both() -> None:
    config = load_config(Path(__file__).parents[1] / "config" / "files" / "dxq.yml", _env())
    assert config.routes is not None
    tree = convert_route(config.routes)
    assert validate_tree(tree, set(config.owners)) == []


def _env() -> dict[str, str]:
    return {
        "PIM_URL": "postgresql+psycopg://u:secret@127.0.0.1/pim",
        "ONCALL_SLACK_WEBHOOK": "https://hooks.slack.com/x",
    }

"""Suite files: light validation without GX, and the list of GX expectation types kept true."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.config.expectation_types import EXPECTATION_TYPES, GX_VERSION
from monitor.config.loading import load_config
from monitor.config.suite_files import check_suite_file, check_suite_text, validate_suites
from monitor.errors import Problem

FILES = Path(__file__).parent / "files"
ROOT = Path(__file__).resolve().parents[2]


def test_expectation_types_match_what_gx_registers() -> None:
    import great_expectations as gx
    from great_expectations.expectations.registry import _registered_expectations

    assert gx.__version__ == GX_VERSION
    assert frozenset(_registered_expectations) == EXPECTATION_TYPES


def test_a_suite_written_by_gx_passes() -> None:
    import great_expectations as gx

    gxe: Any = gx.expectations
    suite = gx.ExpectationSuite(
        name="orders",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="id"),
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
        ],
    )
    data: dict[str, Any] = dict(suite.to_json_dict())
    assert [e["type"] for e in data["expectations"]] == [
        "expect_column_values_to_not_be_null",
        "expect_table_row_count_to_be_between",
    ]
    text = json.dumps(data, indent=2)
    assert check_suite_text(text, "orders.json") == []


def test_loading_and_planning_never_import_gx() -> None:
    code = (
        "import sys, monitor.config.loading, monitor.run.plan, monitor.config.suite_files, "
        "monitor.config.model; "
        "sys.exit('great_expectations' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", ["1: expected a JSON object with 'name' and 'expectations'"]),
        ('{"expectations": []}', ["1: missing the suite 'name' (a string)"]),
        (
            '{"name": "s",\n "expectations": {}}',
            ["2: expectations: expected a list 'expectations'"],
        ),
        ('{"name": "s"}', ["1: expected a list 'expectations'"]),
        (
            '{"name": "s", "expectations": [\n  "x"\n]}',
            ["2: expectations[0]: expected an object with 'type' and 'kwargs'"],
        ),
        (
            '{"name": "s", "expectations": [\n  {"expectation_type": "expect_column_to_exist",\n'
            '   "kwargs": {}}]}',
            [
                "2: expectations[0].expectation_type: GX 0.x form: rename 'expectation_type' "
                "to 'type'"
            ],
        ),
        (
            '{"name": "s", "expectations": [{"kwargs": {"column": "a"}}]}',
            ["1: expectations[0]: missing the expectation 'type'"],
        ),
        (
            '{"name": "s", "expectations": [{"type": "expect_magic", "kwargs": []}]}',
            [
                "1: expectations[0].type: unknown expectation type 'expect_magic'",
                "1: expectations[0].kwargs: expected 'kwargs', an object of the "
                "expectation's arguments",
            ],
        ),
        ('{"name": "s",\n"expectations": [}', ["2: invalid JSON: Expecting value"]),
    ],
)
def test_suite_problems(text: str, expected: list[str]) -> None:
    assert [str(p) for p in check_suite_text(text, "s.json")] == [f"s.json:{e}" for e in expected]


def test_valid_suites_of_a_config_have_no_problems() -> None:
    env = {"PIM_URL": "sqlite:///pim.db", "ONCALL_SLACK_WEBHOOK": "https://hooks.slack.com/x"}
    config = load_config(FILES / "dxq.yml", env)
    assert validate_suites(config) == []


def test_validate_suites_reports_broken_and_vanished_files(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text('{"name": "g", "expectations": []}', encoding="utf-8")
    (tmp_path / "dxq.yml").write_text(
        "version: 1\nsystems: {s: {url: 'sqlite:///s.db'}}\n"
        "integrations:\n  i: {source: s.a, target: s.b, suites: [good.json, good.json]}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "dxq.yml", {})
    (tmp_path / "good.json").write_text('{"name": 3, "expectations": []}', encoding="utf-8")
    assert validate_suites(config) == [
        Problem(str(tmp_path / "good.json"), 1, "name", "missing the suite 'name' (a string)")
    ]
    (tmp_path / "good.json").unlink()
    assert [str(p) for p in validate_suites(config)] == [
        f"{tmp_path / 'good.json'}: suite file not found"
    ]
    assert check_suite_file(tmp_path) != []  # a directory is not a suite

"""Suite files and GX result conversion, without GX: table-driven."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from checks.result import Outcome, Severity
from checks.spec import SuiteSpec
from checks.suite_file import SuiteExpectation, load_suite
from checks.suite_result import (
    condense,
    describe_expected,
    exception_message,
    json_safe,
    to_check_result,
)
from datasources.dataset import Dataset, SqlSystem


def _expectation(kind: str, **kwargs: Any) -> SuiteExpectation:
    return SuiteExpectation(kind, kwargs)


@pytest.mark.parametrize(
    ("expectation", "words"),
    [
        (_expectation("expect_column_values_to_not_be_null", column="sku"), "values not null"),
        (
            _expectation(
                "expect_column_values_to_be_between", column="p", min_value=0, max_value=1e4
            ),
            "between 0 and 10000",
        ),
        (_expectation("expect_column_max_to_be_between", column="p", max_value=5), "at most 5"),
        (_expectation("expect_table_row_count_to_be_between", min_value=1), "at least 1"),
        (
            _expectation("expect_column_values_to_not_be_in_set", column="s", value_set=["x"]),
            "not in ['x']",
        ),
        (
            _expectation("expect_column_values_to_be_unique", column="s", mostly=0.9),
            "values unique, mostly 0.9",
        ),
        (_expectation("expect_table_columns_to_match_set"), "table columns to match set"),
    ],
)
def test_expected_in_words(expectation: SuiteExpectation, words: str) -> None:
    assert describe_expected(expectation) == words


@pytest.mark.parametrize(
    ("gx_severity", "meta", "default", "expected"),
    [
        (None, {}, Severity.ERROR, Severity.ERROR),
        ("critical", {}, Severity.WARNING, Severity.WARNING),  # GX writes critical everywhere
        ("warning", {}, Severity.CRITICAL, Severity.WARNING),
        ("info", {}, Severity.CRITICAL, Severity.WARNING),
        (None, {"severity": "error"}, Severity.CRITICAL, Severity.ERROR),
        (None, {"severity": "bogus"}, Severity.CRITICAL, Severity.CRITICAL),
    ],
)
def test_severity(
    gx_severity: str | None, meta: dict[str, Any], default: Severity, expected: Severity
) -> None:
    expectation = SuiteExpectation("expect_x", {}, meta, gx_severity)
    assert expectation.severity_or(default) is expected


def test_json_safe_converts_database_and_numpy_values() -> None:
    raw = {
        "d": Decimal("2.50"),
        "t": dt.datetime(2026, 1, 2, 3, 4, 5),
        "n": np.int64(7),
        "f": np.float64("nan"),
        "a": np.array([1, 2]),
        "ts": pd.Timestamp("2026-01-02"),
        "na": pd.NA,
        "b": b"\x01",
    }
    safe = json_safe(raw)
    assert safe == {
        "d": 2.5,
        "t": "2026-01-02T03:04:05",
        "n": 7,
        "f": None,
        "a": [1, 2],
        "ts": "2026-01-02T00:00:00",
        "na": None,
        "b": "01",
    }
    json.dumps(safe, allow_nan=False)


def test_exception_message_is_one_line_and_none_without_error() -> None:
    assert exception_message({"raised_exception": False, "exception_message": None}) is None
    nested = {
        "metric-id": {"raised_exception": True, "exception_message": "bad\n  column\n[SQL: x]"}
    }
    assert exception_message(nested) == "bad column"
    assert len(condense("x" * 1000)) == 300


def _spec(tmp_path: Path) -> SuiteSpec:
    dataset = Dataset(SqlSystem("shop", "sqlite://"), table="t")
    return SuiteSpec(tmp_path / "s.json", "s.json", dataset, Severity.CRITICAL)


def test_failed_result_without_keys_samples_values(tmp_path: Path) -> None:
    expectation = _expectation("expect_column_values_to_be_in_set", column="s", value_set=["a"])
    gx = {
        "success": False,
        "result": {
            "element_count": 5,
            "unexpected_count": 2,
            "unexpected_percent": 40.0,
            "partial_unexpected_list": ["b", "c"],
        },
        "exception_info": {"raised_exception": False},
    }
    result = to_check_result(_spec(tmp_path), expectation, "s.json: x(s)", gx)
    assert result.outcome is Outcome.FAILED
    assert result.sample == [{"value": "b"}, {"value": "c"}]
    assert result.observed == "2 of 5 rows unexpected (40%)"
    assert result.headline_value == 40.0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "expected a JSON object"),
        ('{"expectations": {}}', "expectations: expected a list"),
        ('{"expectations": [{"type": "check_it", "kwargs": {}}]}', "unknown expectation type"),
        ('{"expectations": [{"type": "expect_x", "kwargs": [], "colour": 1}]}', "kwargs: expected"),
        ('{"expectations": [{"type": "expect_x", "colour": 1}]}', "colour: not a key of"),
        ('{"expectations": [{"type": "expect_x", "severity": "huge"}]}', "severity: GX's own"),
    ],
)
def test_suite_file_problems(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    document = load_suite(path)
    assert any(problem in p for p in document.problems), document.problems


def test_suite_file_reads_gx_written_suite(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            {
                "name": "s",
                "id": "abc",
                "meta": {"great_expectations_version": "1.24.1"},
                "notes": None,
                "expectations": [
                    {
                        "type": "expect_column_pair_values_to_be_equal",
                        "id": "e1",
                        "kwargs": {"column_A": "a", "column_B": "b"},
                        "meta": {},
                        "severity": "critical",
                    }
                ],
            }
        )
    )
    document = load_suite(path)
    assert document.problems == ()
    (expectation,) = document.expectations
    assert expectation.columns == ("a", "b")
    assert "id" not in expectation.to_gx()

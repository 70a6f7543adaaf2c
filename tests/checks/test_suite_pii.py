"""PII columns of a suite's side are masked in samples, keys and observed values (GX for real
on SQLite and CSV, and the result conversion alone for column pairs)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from checks.gx.adapter import run_suite
from checks.masking import mask
from checks.result import CheckResult, Outcome, Severity
from checks.spec import SuiteSpec
from checks.suite_file import SuiteExpectation
from checks.suite_result import to_check_result
from datasources.dataset import Dataset, FileSystem, SqlSystem

DEMO_SUITE = Path(__file__).parents[2] / "demo" / "suites" / "shop_customers.json"
CUSTOMERS = [  # customer_id, email, country
    (1, "ann@example.com", "DE"),
    (2, "bob@example.com", "XX"),  # country not in set
    (3, "ann@example.com", "AT"),  # email not unique
    (4, None, "NL"),  # email null
]
RAW = ("ann@example.com", "bob@example.com")


def _customers(url: str) -> Dataset:
    name = f"customers_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"create table {name} (customer_id int, email text, country text)")
        conn.exec_driver_sql(f"insert into {name} values (?, ?, ?)", CUSTOMERS)
    engine.dispose()
    return Dataset(system=SqlSystem("shop", url), table=name)


def _suite(tmp_path: Path, *expectations: dict[str, Any]) -> Path:
    path = tmp_path / f"suite_{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps({"name": "s", "expectations": list(expectations)}), "utf-8")
    return path


def _spec(path: Path, dataset: Dataset, key: tuple[str, ...], pii: tuple[str, ...]) -> SuiteSpec:
    return SuiteSpec(path, "suites/x.json", dataset, Severity.ERROR, "source", key, pii)


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check.removeprefix("suites/x.json: "): r for r in results}


def _shown(results: list[CheckResult]) -> str:
    return json.dumps([[r.sample, r.metrics, r.observed, r.reason] for r in results])


def test_demo_customers_suite_masks_email_values(sqlite_url: str) -> None:
    dataset = _customers(sqlite_url)
    plain = _by_name(run_suite(_spec(DEMO_SUITE, dataset, ("customer_id",), ())))
    masked = _by_name(run_suite(_spec(DEMO_SUITE, dataset, ("customer_id",), ("email",))))
    unique = "expect_column_values_to_be_unique(email)"
    assert {s["value"] for s in plain[unique].sample} == {"ann@example.com"}  # GX really samples
    assert masked[unique].outcome is Outcome.FAILED
    assert masked[unique].sample == [
        {"key": {"customer_id": 1}, "value": mask("ann@example.com")},
        {"key": {"customer_id": 3}, "value": mask("ann@example.com")},
    ]
    assert masked[unique].metrics == plain[unique].metrics  # counts are not values
    nulls = masked["expect_column_values_to_not_be_null(email)"]
    assert nulls.sample == [{"key": {"customer_id": 4}, "value": None}]
    country = masked["expect_column_values_to_be_in_set(country)"]
    assert country.sample == [{"key": {"customer_id": 2}, "value": "XX"}]  # not PII: shown
    assert not any(raw in _shown(list(masked.values())) for raw in RAW)


def test_pii_key_columns_and_observed_values_are_masked(sqlite_url: str, tmp_path: Path) -> None:
    dataset = _customers(sqlite_url)
    suite = _suite(
        tmp_path,
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "country", "value_set": ["DE", "AT"]},
        },
        {
            "type": "expect_column_distinct_values_to_be_in_set",
            "kwargs": {"column": "email", "value_set": ["-"]},
        },
        {
            "type": "expect_column_most_common_value_to_be_in_set",
            "kwargs": {"column": "email", "value_set": ["-"]},
        },
    )
    results = _by_name(run_suite(_spec(suite, dataset, ("email",), ("EMAIL",))))
    country = results["expect_column_values_to_be_in_set(country)"]
    assert country.outcome is Outcome.FAILED
    assert {json.dumps(s, sort_keys=True) for s in country.sample} == {
        json.dumps({"key": {"email": mask("bob@example.com")}, "value": "XX"}),
        json.dumps({"key": {"email": None}, "value": "NL"}),
    }
    distinct = results["expect_column_distinct_values_to_be_in_set(email)"]
    assert distinct.outcome is Outcome.FAILED  # GX's partial_unexpected_list
    assert distinct.sample == [
        {"value": mask("ann@example.com")},
        {"value": mask("bob@example.com")},
    ]
    common = results["expect_column_most_common_value_to_be_in_set(email)"]
    assert common.outcome is Outcome.FAILED
    assert common.metrics["observed_value"] == [mask("ann@example.com")]
    assert common.observed == str([mask("ann@example.com")])
    assert not any(raw in _shown(list(results.values())) for raw in RAW)


def test_files_mask_gx_partial_unexpected_values(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "email,country\nann@example.com,DE\nann@example.com,AT\n", "utf-8"
    )
    dataset = Dataset(system=FileSystem("crm", str(tmp_path / "*.csv"), "csv"))
    suite = _suite(
        tmp_path, {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "email"}}
    )
    (result,) = run_suite(_spec(suite, dataset, (), ("email",)))
    assert result.outcome is Outcome.FAILED
    assert result.sample == [{"value": mask("ann@example.com")}] * 2


@pytest.mark.parametrize(
    ("pii", "value"),
    [
        (("a",), {"a": mask("x@y.z"), "b": 7}),
        (("b",), {"a": "x@y.z", "b": mask(7)}),
        ((), {"a": "x@y.z", "b": 7}),
    ],
)
def test_column_pairs_mask_only_their_pii_column(pii: tuple[str, ...], value: Any) -> None:
    expectation = SuiteExpectation(
        "expect_column_pair_values_to_be_equal", {"column_A": "a", "column_B": "b"}
    )
    spec = _spec(Path("x.json"), Dataset(SqlSystem("s", "sqlite://"), table="t"), ("a",), pii)
    gx_result = {
        "success": False,
        "result": {
            "unexpected_count": 1,
            "element_count": 2,
            "partial_unexpected_index_list": [{"a": "x@y.z", "b": 7}],
            "unexpected_index_column_names": ["a"],
        },
    }
    result = to_check_result(spec, expectation, "pair", gx_result)
    key = {"a": mask("x@y.z") if pii == ("a",) else "x@y.z"}
    assert result.sample == [{"key": key, "value": value}]

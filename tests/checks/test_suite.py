"""The GX adapter against real SQLite, PostgreSQL, MariaDB, CSV and Parquet."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from checks.gx.adapter import run_suite
from checks.result import CheckResult, Outcome, Severity
from checks.spec import SuiteSpec
from datasources.dataset import Dataset, FileSystem, SqlSystem

SUITES = Path(__file__).parent / "suites"

ROWS = [  # id, sku, name, price, status
    (1, "A-1", "anvil", 10, "active"),
    (2, "A-2", None, 20, "active"),  # name null
    (3, "A-3", "bolt", 150, "retired"),  # price too high
    (4, "A-4", "cog", 30, "deleted"),  # status not in set (warning)
    (5, "A-5", None, -1, "active"),  # name null, price too low
    (6, "A-6", "drill", 40, "retired"),
]
FAILING = {  # check suffix -> (outcome, unexpected ids)
    "expect_column_values_to_not_be_null(name)": (Outcome.FAILED, {2, 5}),
    "expect_column_values_to_be_between(price)": (Outcome.FAILED, {3, 5}),
    "expect_column_values_to_be_in_set(status)": (Outcome.WARNED, {4}),
}
PASSING = (
    "expect_column_values_to_be_unique(sku)",
    "expect_table_row_count_to_be_between()",
    "expect_column_max_to_be_between(id)",
)


def _make_table(url: str) -> str:
    name = f"products_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku", sa.String(20)),
        sa.Column("name", sa.String(40)),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("status", sa.String(20)),
    )
    with engine.begin() as conn:
        table.create(conn)
        keys = ("id", "sku", "name", "price", "status")
        conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in ROWS])
    engine.dispose()
    return name


def _spec(dataset: Dataset, suite: str = "products.json", **kw: Any) -> SuiteSpec:
    return SuiteSpec(
        path=SUITES / suite,
        label=f"suites/{suite}",
        dataset=dataset,
        severity=kw.pop("severity", Severity.CRITICAL),
        key_columns=kw.pop("key_columns", ("id",)),
        **kw,
    )


def _by_check(results: list[CheckResult], label: str) -> dict[str, CheckResult]:
    return {r.check.removeprefix(f"{label}: "): r for r in results}


def _assert_products(results: list[CheckResult], label: str = "suites/products.json") -> None:
    by_check = _by_check(results, label)
    assert set(by_check) == set(FAILING) | set(PASSING)
    for check in PASSING:
        assert by_check[check].outcome is Outcome.PASSED, by_check[check]
        assert by_check[check].sample == [] and by_check[check].query is None
    for check, (outcome, ids) in FAILING.items():
        result = by_check[check]
        assert result.outcome is outcome, result
        assert result.metrics["unexpected_count"] == len(ids)
        assert result.metrics["element_count"] == len(ROWS)
        assert result.headline == "unexpected_percent"
        assert {row["key"]["id"] for row in result.sample} == ids
        assert result.side == "target"
        json.dumps(result.to_json())  # JSON-safe
    assert by_check["expect_column_values_to_be_in_set(status)"].severity is Severity.WARNING
    assert by_check["expect_column_max_to_be_between(id)"].severity is Severity.ERROR
    assert by_check["expect_table_row_count_to_be_between()"].metrics["observed_value"] == 6
    assert by_check["expect_table_row_count_to_be_between()"].headline == "observed_value"
    price = by_check["expect_column_values_to_be_between(price)"]
    assert price.expected == "between 0 and 100"
    assert price.observed == "2 of 6 rows unexpected (33.33%)"
    assert sorted(row["value"] for row in price.sample) == [-1.0, 150.0]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}
    return str(request.getfixturevalue(fixture[request.param]))


def test_suite_on_sql_counts_keys_and_reproduce_query(db_url: str) -> None:
    table = _make_table(db_url)
    results = run_suite(_spec(Dataset(SqlSystem("shop", db_url), table=table)))
    _assert_products(results)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        for check, (_, ids) in FAILING.items():
            result = _by_check(results, "suites/products.json")[check]
            assert result.query is not None
            rows = conn.execute(sa.text(result.query.replace(":", r"\:"))).mappings().all()
            assert {row["id"] for row in rows} == ids
    engine.dispose()


def test_repeated_runs_reuse_gx_objects_and_follow_suite_edits(
    sqlite_url: str, tmp_path: Path
) -> None:
    table = _make_table(sqlite_url)
    suite = tmp_path / "one.json"
    doc = {
        "name": "one",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}}
        ],
    }
    suite.write_text(json.dumps(doc))
    spec = SuiteSpec(
        suite, "one.json", Dataset(SqlSystem("shop", sqlite_url), table=table), Severity.CRITICAL
    )
    assert [r.outcome for r in run_suite(spec)] == [Outcome.FAILED]
    assert [r.outcome for r in run_suite(spec)] == [Outcome.FAILED]
    doc["expectations"][0]["kwargs"]["column"] = "sku"
    suite.write_text(json.dumps(doc))
    (result,) = run_suite(spec)
    assert (result.check, result.outcome) == (
        "one.json: expect_column_values_to_not_be_null(sku)",
        Outcome.PASSED,
    )
    # without key columns the sample holds the failing values only
    assert run_suite(spec)[0].sample == []


def test_sql_is_never_loaded_into_pandas(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a SQL table was loaded into pandas")

    for name in ("read_sql", "read_sql_query", "read_sql_table"):
        monkeypatch.setattr(pd, name, refuse)
    monkeypatch.setattr(pd.DataFrame, "__init__", refuse)
    table = _make_table(sqlite_url)
    _assert_products(run_suite(_spec(Dataset(SqlSystem("shop", sqlite_url), table=table))))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_suite_on_files(tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame(ROWS, columns=["id", "sku", "name", "price", "status"])
    if fmt == "csv":
        frame.iloc[:3].to_csv(tmp_path / "products_1.csv", index=False)
        frame.iloc[3:].to_csv(tmp_path / "products_2.csv", index=False)
    else:
        frame.to_parquet(tmp_path / "products_1.parquet", index=False)
    system = FileSystem("wms", str(tmp_path / f"products_*.{fmt}"), fmt)  # type: ignore[arg-type]
    results = run_suite(_spec(Dataset(system)))
    _assert_products(results)
    assert all(r.query is None for r in results)


def test_unreachable_system_is_one_quick_error() -> None:
    system = SqlSystem(
        "pim", "postgresql+psycopg://dxq:s3cret@127.0.0.1:1/pim", connect_timeout_s=2
    )
    started = time.perf_counter()
    (result,) = run_suite(_spec(Dataset(system, table="products")))
    assert time.perf_counter() - started < 5
    assert (result.check, result.outcome) == ("suites/products.json", Outcome.ERROR)
    assert "pim" in (result.reason or "") and "127.0.0.1:1" in (result.reason or "")
    assert "s3cret" not in (result.reason or "") and "***" in (result.reason or "")


def test_missing_table_is_one_error_naming_it(pg_url: str) -> None:
    (result,) = run_suite(_spec(Dataset(SqlSystem("pim", pg_url), table="no_such_products")))
    assert result.outcome is Outcome.ERROR
    assert "no_such_products" in (result.reason or "") and "pim" in (result.reason or "")


def test_table_dropped_after_a_run_is_one_error(sqlite_url: str) -> None:
    table = _make_table(sqlite_url)
    spec = _spec(Dataset(SqlSystem("shop", sqlite_url), table=table))
    assert len(run_suite(spec)) == 6
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {table}")
    engine.dispose()
    (result,) = run_suite(spec)
    assert result.outcome is Outcome.ERROR and table in (result.reason or "")


def test_missing_key_column_is_one_error(sqlite_url: str) -> None:
    table = _make_table(sqlite_url)
    spec = _spec(Dataset(SqlSystem("shop", sqlite_url), table=table), key_columns=("pim_id",))
    (result,) = run_suite(spec)
    assert result.outcome is Outcome.ERROR and "pim_id" in (result.reason or "")


def test_missing_column_errors_only_its_expectation(mariadb_url: str) -> None:
    table = _make_table(mariadb_url)
    results = run_suite(
        _spec(Dataset(SqlSystem("shop", mariadb_url), table=table), suite="missing_column.json")
    )
    by_check = _by_check(results, "suites/missing_column.json")
    missing = by_check["expect_column_values_to_not_be_null(no_such_column)"]
    assert missing.outcome is Outcome.ERROR
    assert "no_such_column" in (missing.reason or "") and "\n" not in (missing.reason or "")
    assert by_check["expect_column_values_to_not_be_null(sku)"].outcome is Outcome.PASSED


def test_query_dataset_and_bad_query(sqlite_url: str) -> None:
    table = _make_table(sqlite_url)
    system = SqlSystem("shop", sqlite_url)
    good = Dataset(system, query=f"SELECT * FROM {table} WHERE id <= 3")
    by_check = _by_check(run_suite(_spec(good)), "suites/products.json")
    assert by_check["expect_column_values_to_not_be_null(name)"].metrics["unexpected_count"] == 1
    assert by_check["expect_table_row_count_to_be_between()"].metrics["observed_value"] == 3
    (bad,) = run_suite(_spec(Dataset(system, query="SELECT * FROM nowhere")))
    assert bad.outcome is Outcome.ERROR and "nowhere" in (bad.reason or "")


@pytest.mark.parametrize(
    ("suite", "words"),
    [
        ("unknown_type.json", "expect_column_values_to_be_purple"),
        ("bad_kwargs.json", "expectations[0]"),
        ("no_such_file.json", "suite file not found"),
    ],
)
def test_invalid_suite_file_is_an_error(sqlite_url: str, suite: str, words: str) -> None:
    table = _make_table(sqlite_url)
    (result,) = run_suite(_spec(Dataset(SqlSystem("shop", sqlite_url), table=table), suite=suite))
    assert result.outcome is Outcome.ERROR and words in (result.reason or "")


def test_warning_integration_warns(sqlite_url: str) -> None:
    table = _make_table(sqlite_url)
    spec = _spec(Dataset(SqlSystem("shop", sqlite_url), table=table), severity=Severity.WARNING)
    by_check = _by_check(run_suite(spec), "suites/products.json")
    assert by_check["expect_column_values_to_not_be_null(name)"].outcome is Outcome.WARNED
    assert by_check["expect_column_values_to_not_be_null(name)"].severity is Severity.WARNING

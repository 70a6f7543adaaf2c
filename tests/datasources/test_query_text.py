"""Query text is prepared by one helper on every path (issue 11 item 9): a literal `':x'` is not
a bind parameter, `%` is not a placeholder, and a trailing `;` or comment is not a syntax error;
on SQLite, PostgreSQL and MariaDB, for columns, counts, freshness, reconcile and GX suites."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from checks.freshness import check_freshness
from checks.gx.adapter import run_suite
from checks.reconcile.check import reconcile
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, FreshnessSpec, ReconcileSpec, SuiteSpec, VolumeSpec
from checks.volume import check_volume
from datasources.dataset import Dataset, SqlSystem
from datasources.introspection import columns, count_rows

_URL = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}
QUERY = (
    "SELECT id, ':x' AS colon, '10:00' AS clock, '50%' AS pct, at FROM {t}"
    " WHERE note <> 'a;b' ;  -- trailing comment; with a semicolon\n"
)


@pytest.fixture(params=list(_URL))
def system_and_table(request: pytest.FixtureRequest) -> tuple[SqlSystem, str]:
    url = str(request.getfixturevalue(_URL[request.param]))
    name = f"items_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {name} (id INTEGER, colon VARCHAR(8), clock VARCHAR(8),"
            " pct VARCHAR(8), at TIMESTAMP, note VARCHAR(8))"
        )
        conn.execute(
            sa.text(f"INSERT INTO {name} VALUES (1, :colon, :clock, :pct, :at, 'n')"),
            {"colon": ":x", "clock": "10:00", "pct": "50%", "at": datetime(2026, 1, 1)},
        )
    admin.dispose()
    return SqlSystem(f"shop-{uuid.uuid4().hex[:6]}", url), name


def test_columns_and_counts_read_the_query(system_and_table: tuple[SqlSystem, str]) -> None:
    system, name = system_and_table
    dataset = Dataset(system, query=QUERY.format(t=name))
    assert list(columns(dataset)) == ["id", "colon", "clock", "pct", "at"]
    assert count_rows(dataset) == 1
    table = Dataset(system, table=name)
    volume = check_volume(VolumeSpec(dataset, table, 0.0, Severity.ERROR))
    assert volume.outcome is Outcome.PASSED, volume.reason


def test_reconcile_and_freshness_read_the_query(system_and_table: tuple[SqlSystem, str]) -> None:
    system, name = system_and_table
    query = Dataset(system, query=QUERY.format(t=name))
    table = Dataset(system, table=name)
    fields = tuple(FieldSpec(c, c) for c in ("colon", "clock", "pct"))
    spec = ReconcileSpec(query, table, ("id",), ("id",), fields, Severity.ERROR)
    result = reconcile(spec, datetime.now(UTC))
    assert result.outcome is Outcome.PASSED, result.reason
    fresh = check_freshness(FreshnessSpec(query, "at", 1e10, Severity.ERROR), datetime.now(UTC))
    assert fresh.outcome is Outcome.PASSED, fresh.reason


def test_gx_suites_read_the_query_and_take_query_arguments_literally(
    system_and_table: tuple[SqlSystem, str], tmp_path: Path
) -> None:
    system, name = system_and_table
    suite = tmp_path / "s.json"
    expectations = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "colon", "value_set": [":x"]},
        },
        {
            "type": "unexpected_rows_expectation",
            "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE colon <> ':x';"},
        },
    ]
    suite.write_text(json.dumps({"name": "s", "expectations": expectations}), "utf-8")
    for dataset in (Dataset(system, table=name), Dataset(system, query=QUERY.format(t=name))):
        results = run_suite(SuiteSpec(suite, "suites/s.json", dataset, Severity.ERROR))
        if dataset.query is not None:  # GX puts the batch's compiled text into the query
            results = results[:1]
        assert {r.outcome for r in results} == {Outcome.PASSED}, [r.reason for r in results]

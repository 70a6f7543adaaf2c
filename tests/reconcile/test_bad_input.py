"""Bad input and unreachable systems become error results that name the problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from checks.reconcile import reconcile
from checks.result import CheckKind, Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.dataset import Dataset, SqlSystem
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
COLS = [("id", "key_text"), ("name", "text"), ("price", "decimal")]


def _spec(source: Dataset, target: Dataset, *fields: FieldSpec) -> ReconcileSpec:
    return ReconcileSpec(
        source, target, ("id",), ("id",), fields or (FieldSpec("name", "name"),), Severity.ERROR
    )


@pytest.mark.parametrize("kind", ["pg_url", "mariadb_url", "sqlite_url"])
def test_duplicate_keys_are_named(kind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(kind)
    rows = [["k1", "a", 1], ["k1", "b", 2], ["k2", "c", 3], ["k3", "d", 4], ["k3", "d", 4]]
    dupes = load(url, COLS, rows, key=[])
    clean = load(url, COLS, rows[2:4], key=["id"])
    for source, target in ((dupes, clean), (clean, dupes)):
        result = reconcile(_spec(source, target), NOW)
        assert result.outcome is Outcome.ERROR and result.kind is CheckKind.RECONCILE
        assert "not unique" in str(result.reason) and str(dupes.table) in str(result.reason)
        assert "'k1'" in str(result.reason) and "'k3'" in str(result.reason)


def test_duplicate_keys_in_files_are_found_while_merging(pg_url: str, tmp_path: Path) -> None:
    rows = [["k1", "a", 1], ["k1", "b", 2], ["k2", "c", 3]]
    files = load("file", COLS, rows, key=[], tmp=tmp_path)
    table = load(pg_url, COLS, rows[2:], key=["id"])
    result = reconcile(_spec(files, table), NOW)
    assert result.outcome is Outcome.ERROR
    assert "not unique" in str(result.reason) and "'k1'" in str(result.reason)


def test_missing_columns_list_the_columns_that_exist(sqlite_url: str) -> None:
    table = load(sqlite_url, COLS, [["k", "a", 1]], key=["id"])
    result = reconcile(_spec(table, table, FieldSpec("name", "nmae")), NOW)
    assert result.outcome is Outcome.ERROR
    assert "'nmae'" in str(result.reason) and "id, name, price" in str(result.reason)
    bad_key = ReconcileSpec(table, table, ("sku",), ("id",), (), Severity.ERROR)
    result = reconcile(bad_key, NOW)
    assert result.outcome is Outcome.ERROR and "'sku'" in str(result.reason)


def test_incomparable_types_name_both_types(pg_url: str) -> None:
    table = load(pg_url, [*COLS, ("at", "ts")], [["k", "a", 1, None]], key=["id"])
    result = reconcile(_spec(table, table, FieldSpec("price", "at")), NOW)
    assert result.outcome is Outcome.ERROR
    assert "NUMERIC" in str(result.reason) and "TIMESTAMP" in str(result.reason)
    result = reconcile(_spec(table, table, FieldSpec("name", "name", tolerance=0.1)), NOW)
    assert result.outcome is Outcome.ERROR and "tolerance" in str(result.reason)


def test_unreachable_system_is_an_error(sqlite_url: str) -> None:
    table = load(sqlite_url, COLS, [["k", "a", 1]], key=["id"])
    down = Dataset(
        SqlSystem("crm", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x", connect_timeout_s=1),
        table="t",
    )
    result = reconcile(_spec(table, down), NOW)
    assert result.outcome is Outcome.ERROR
    assert "crm" in str(result.reason) and "secret" not in str(result.reason)
    missing = Dataset(table.system, table="no_such_table")
    result = reconcile(_spec(table, missing), NOW)
    assert result.outcome is Outcome.ERROR and "no_such_table" in str(result.reason)


def test_case_insensitive_collation_does_not_merge_keys(mariadb_url: str, pg_url: str) -> None:
    rows = [["a", "x", 1], ["A", "y", 1], ["ä", "z", 1], ["a ", "w", 1], ["Z", "v", 1]]
    ci = load(mariadb_url, COLS, rows, key=[], collate="utf8mb4_general_ci")
    pg = load(pg_url, COLS, rows, key=["id"])
    ci_too = load(mariadb_url, COLS, rows, key=[], collate="utf8mb4_general_ci")
    for source, target in ((ci, pg), (pg, ci), (ci, ci_too)):
        result = reconcile(_spec(source, target), NOW)
        assert result.outcome is Outcome.PASSED, result.reason
        assert result.metrics["compared"] == 5

"""Bucket counts from the databases' row estimates (`SqlSide._estimated_rows`): a large table's
size is read from its statistics instead of counted by a scan of each side; estimates only
size the buckets, so counts stay exact however far off they are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa

from checks.reconcile import reconcile, sql_side
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 12, 6, tzinfo=UTC)
ROWS = 3_000
COLUMNS = [("n", "key_int"), ("g", "key_text"), ("label", "text")]


def _tables(pg_url: str, mariadb_url: str, tmp_path: Path) -> tuple[Any, Any, dict[str, int]]:
    source: list[list[Any]] = [[i // 3, f"g{i % 3}", f"label {i}"] for i in range(ROWS)]
    target = [list(r) for r in source if r[0] % 100 != 7]  # 30 rows missing in the target
    for row in target[::250]:
        row[2] += " (changed)"  # 12 changed
    target.append([ROWS, "g0", "extra"])  # 1 missing in the source
    s = load(pg_url, COLUMNS, source, key=["n", "g"], tmp=tmp_path)
    t = load(mariadb_url, COLUMNS, target, key=["n", "g"], tmp=tmp_path)
    for url, table in ((pg_url, s.table), (mariadb_url, t.table)):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {'TABLE ' if 'mysql' in url else ''}{table}")
        engine.dispose()
    truth = {"missing_in_target": 30, "missing_in_source": 1, "changed": 12, "source_rows": ROWS}
    return s, t, truth


def _counts(source: Any, target: Any, key: tuple[str, ...]) -> dict[str, Any]:
    spec = ReconcileSpec(
        source, target, key, key, (FieldSpec("label", "label"),), Severity.ERROR, sample=5
    )
    result = reconcile(spec, NOW)
    assert result.outcome is not Outcome.ERROR, result.reason
    return result.metrics


KEYS = (("n", "g"), ("g", "n"))  # range buckets by n; hash buckets


def test_estimates_size_buckets_and_counts_stay_exact(
    pg_url: str, mariadb_url: str, tmp_path: Path
) -> None:
    source, target, truth = _tables(pg_url, mariadb_url, tmp_path)
    seen: dict[str, int | None] = {}
    estimate = sql_side.SqlSide._estimated_rows

    def spy(side: sql_side.SqlSide) -> int | None:
        seen[side.dialect] = estimate(side)
        return seen[side.dialect]

    for key in KEYS:
        with (
            mock.patch.object(sql_side, "ESTIMATE_FLOOR", 1),
            mock.patch.object(sql_side.SqlSide, "_estimated_rows", spy),
        ):
            metrics = _counts(source, target, key)
        assert {k: metrics[k] for k in truth} == truth
        assert seen["postgresql"] == ROWS  # PostgreSQL's ANALYZE of a small table counts it
        guess = seen["mysql"]
        assert guess is not None and abs(guess - (ROWS - 29)) < ROWS / 2  # InnoDB's estimate


def test_an_estimate_far_off_changes_no_count(
    pg_url: str, mariadb_url: str, tmp_path: Path
) -> None:
    source, target, truth = _tables(pg_url, mariadb_url, tmp_path)
    for wrong in (1, 100 * ROWS):
        with mock.patch.object(sql_side.SqlSide, "_estimated_rows", lambda side, n=wrong: n):
            for key in KEYS:
                assert {k: _counts(source, target, key)[k] for k in truth} == truth, (wrong, key)

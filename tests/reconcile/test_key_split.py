"""A MariaDB side's second scan split by primary-key range over two connections
(checks/reconcile/key_split.py): counts stay exact with keys a case- and pad-insensitive
collation takes for one, for composite keys whose first column holds few values, with MariaDB
as either side, and when the second connection cannot be had. The split is forced on small
tables (SPLIT_ROWS 0, row estimates always used) and reads by key are kept off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from checks.reconcile import check, checksum_engine, key_split, reconcile, sql_side
from checks.reconcile.sql_side import SqlSide
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.connection import engine_for
from datasources.dataset import SqlSystem
from datasources.errors import DatasourceError
from tests.reconcile.tables import drifted_rows, load, truth, unique

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Split every MariaDB side; the rows each connection's half read ("below", "above")."""
    monkeypatch.setattr(key_split, "SPLIT_ROWS", 0)
    monkeypatch.setattr(sql_side, "ESTIMATE_FLOOR", 0)
    monkeypatch.setattr(checksum_engine, "LOOKUP_SHARE", 10**9)  # no reads by key
    read: dict[str, list[int]] = {"below": [], "above": []}
    real_rows: Any = SqlSide._rows

    def rows(side: SqlSide, *args: Any, conn: sa.Connection | None = None, **kw: Any) -> Any:
        half = "above" if conn is not None else "below"
        found = list(real_rows(side, *args, conn=conn, **kw))
        if side.split is not None:
            read[half].append(len(found))
        return iter(found)

    monkeypatch.setattr(SqlSide, "_rows", rows)
    return read


def _reconciled(
    source_url: str, target_url: str, composite: bool
) -> tuple[dict[str, Any], tuple[int, ...]]:
    key = ["region", "id"] if composite else ["id"]
    cols = [(k, "key_text") for k in key] + [("name", "text")]
    source_rows, target_rows = drifted_rows(composite)
    collate = "utf8mb4_general_ci"
    source = load(source_url, cols, source_rows, key=key, collate=collate)
    target = load(target_url, cols, target_rows, key=key, collate=collate)
    fields = (FieldSpec("name", "name"),)
    spec = ReconcileSpec(source, target, tuple(key), tuple(key), fields, Severity.ERROR)
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    for dataset in (source, target):
        assert isinstance(dataset.system, SqlSystem)
        pool = engine_for(dataset.system).pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.checkedout() == 0  # the spare connection is back too
    return result.metrics, truth(source_rows, target_rows)


@pytest.mark.parametrize(
    ("source_at", "composite"), [("pg", False), ("pg", True), ("mariadb", False)]
)
def test_a_split_scan_counts_exactly(
    source_at: str, composite: bool, forced: dict[str, list[int]], pg_url: str, mariadb_url: str
) -> None:
    source_url, target_url = (pg_url, mariadb_url) if source_at == "pg" else (mariadb_url, pg_url)
    m, expected = _reconciled(source_url, target_url, composite)
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == expected
    assert len(forced["below"]) == len(forced["above"]) == 1  # one split scan, two queries
    assert forced["below"][0] > 0 and forced["above"][0] > 0  # both halves held rows


def test_without_a_second_connection_the_scan_is_not_split(
    forced: dict[str, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    pg_url: str,
    mariadb_url: str,
) -> None:
    def unavailable(stack: Any, system: SqlSystem) -> Any:
        def refused() -> sa.Connection:
            raise DatasourceError(f"{system.name}: too many connections")

        return refused

    monkeypatch.setattr(check, "_spare", unavailable)
    m, expected = _reconciled(pg_url, mariadb_url, False)
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == expected
    assert forced == {"below": [], "above": []}


def _table(url: str, ddl: str, rows: list[tuple[Any, ...]]) -> tuple[sa.Engine, sa.TableClause]:
    name = unique()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl.format(name=name))
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            conn.exec_driver_sql(f"INSERT INTO {name} VALUES ({marks})", rows)
    return engine, sa.table(name, sa.column("a"), sa.column("b"))


def test_the_leading_column_is_the_first_of_an_innodb_primary_key(mariadb_url: str) -> None:
    ddl = "CREATE TABLE {name} (b INT, a VARCHAR(10), PRIMARY KEY (a, b)) ENGINE=InnoDB"
    engine, table = _table(mariadb_url, ddl, [])
    no_key, bare = _table(mariadb_url, "CREATE TABLE {name} (a INT, b INT)", [])
    aria, other = _table(mariadb_url, "CREATE TABLE {name} (a INT PRIMARY KEY) ENGINE=Aria", [])
    with engine.connect() as conn:
        assert key_split.leading_column(conn, table) == "a"
        assert key_split.leading_column(conn, bare) is None
        assert key_split.leading_column(conn, other) is None  # not clustered by its key
    for e in (engine, no_key, aria):
        e.dispose()


@pytest.mark.parametrize(
    ("ddl", "values"),
    [
        ("a VARCHAR(20) PRIMARY KEY", [f"SKU-{i * 7919 % 100_003:06d}" for i in range(20_000)]),
        ("a BIGINT PRIMARY KEY", [i * i for i in range(20_000)]),
        ("a VARCHAR(20) PRIMARY KEY", [f"{'αβγ日本語😀Ω'[i % 8]}-{i:05d}" for i in range(20_000)]),
        ("a CHAR(2), b INT, PRIMARY KEY (a, b)", [c for c in "ABCDEFGHIJKL" for _ in range(1_500)]),
    ],
)
def test_the_split_point_halves_the_table_roughly(
    ddl: str, values: list[Any], mariadb_url: str
) -> None:
    rows = [(v, i) if ", b INT" in ddl else (v,) for i, v in enumerate(values)]
    columns = "a, b" if ", b INT" in ddl else "a"
    engine, table = _table(mariadb_url, f"CREATE TABLE {{name}} ({ddl}) ENGINE=InnoDB", [])
    with engine.begin() as conn:
        marks = ", ".join(["%s"] * len(rows[0]))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
        conn.exec_driver_sql(f"ANALYZE TABLE {table.name}")
    with engine.connect() as conn:
        point = key_split.split_point(conn, table, "a")
        below = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.a < point)
        ).scalar_one()
    engine.dispose()
    assert 0.25 * len(rows) <= below <= 0.75 * len(rows), (point, below)


def test_no_split_point_for_one_value_or_another_type(mariadb_url: str) -> None:
    engine, single = _table(
        mariadb_url,
        "CREATE TABLE {name} (a VARCHAR(5), b INT, PRIMARY KEY (a, b))",
        [("x", 1), ("x", 2)],
    )
    _, dated = _table(
        mariadb_url, "CREATE TABLE {name} (a DATE PRIMARY KEY)", [("2026-01-01",), ("2026-02-01",)]
    )
    with engine.connect() as conn:
        assert key_split.split_point(conn, single, "a") is None
        assert key_split.split_point(conn, dated, "a") is None
    engine.dispose()


def test_no_split_when_the_key_does_not_lead_the_primary_key(
    forced: dict[str, list[int]], pg_url: str, mariadb_url: str
) -> None:
    """Key (id, region) over a primary key (region, id): a range of id is no range of the
    clustered index."""
    cols = [("region", "key_text"), ("id", "key_text"), ("name", "text")]
    source_rows, target_rows = drifted_rows(True)
    source = load(pg_url, cols, source_rows, key=["id", "region"])
    target = load(mariadb_url, cols, target_rows, key=["region", "id"])
    fields = (FieldSpec("name", "name"),)
    key = ("id", "region")
    result = reconcile(ReconcileSpec(source, target, key, key, fields, Severity.ERROR), NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    m = result.metrics
    swapped = [[r[1], r[0], r[2]] for r in source_rows], [[r[1], r[0], r[2]] for r in target_rows]
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == truth(*swapped)
    assert forced == {"below": [], "above": []}

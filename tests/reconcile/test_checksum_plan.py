"""PostgreSQL's checksum pass groups in a hash table in memory (`SqlSide.checksums`): work_mem is
raised for the pass's transaction to hold the buckets, never lowered below the server's, and the
grouped query reads a fenced subquery so only buckets and row hashes reach the aggregate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa

from checks.reconcile import reconcile, session_settings
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.connection import engine_for
from datasources.dataset import Dataset, SqlSystem
from tests.reconcile.tables import load

NOW = datetime(2026, 12, 6, tzinfo=UTC)
ROWS = 20_000  # 2,048 tail buckets
COLUMNS = [("sku", "key_text"), ("label", "text")]


@contextmanager
def grouped_passes() -> Iterator[list[dict[str, Any]]]:
    """PostgreSQL's grouped checksum queries as they run, with the work_mem they run under."""
    seen: list[dict[str, Any]] = []

    def after(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if conn.dialect.name == "postgresql" and "GROUP BY canon.b" in statement:
            with conn.connection.dbapi_connection.cursor() as probe:
                probe.execute("SHOW work_mem")
                seen.append({"sql": statement, "params": params, "work_mem": probe.fetchone()[0]})

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", after)


def _tables(pg_url: str, mariadb_url: str, tmp_path: Path) -> tuple[Dataset, Dataset]:
    source = [[f"SKU-{i * 7919 % 1_000_003:07d}", f"label {i}"] for i in range(ROWS)]
    target = [[k, v + (" (changed)" if i % 1000 == 3 else "")] for i, (k, v) in enumerate(source)]
    s = load(pg_url, COLUMNS, source, key=["sku"], tmp=tmp_path)
    t = load(mariadb_url, COLUMNS, target, key=["sku"], tmp=tmp_path)
    return s, t


def _reconcile(source: Dataset, target: Dataset) -> dict[str, Any]:
    spec = ReconcileSpec(
        source, target, ("sku",), ("sku",), (FieldSpec("label", "label"),), Severity.ERROR
    )
    result = reconcile(spec, NOW)
    assert result.outcome is not Outcome.ERROR, result.reason
    return result.metrics


def _plan(url: str, pass_: dict[str, Any]) -> dict[str, Any]:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{pass_['work_mem']}'")
        explained = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + pass_["sql"], pass_["params"]
        ).scalar_one()
    engine.dispose()
    plan: dict[str, Any] = (json.loads(explained) if isinstance(explained, str) else explained)[0]
    return plan["Plan"]  # type: ignore[no-any-return]


def _work_mem(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        shown = str(conn.exec_driver_sql("SHOW work_mem").scalar_one())
    engine.dispose()
    return shown


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def test_the_pass_groups_in_memory_under_a_raised_work_mem(
    pg_url: str, mariadb_url: str, tmp_path: Path
) -> None:
    source, target = _tables(pg_url, mariadb_url, tmp_path)
    server = _work_mem(pg_url)
    with mock.patch.object(session_settings, "GROUP_BYTES", 4096), grouped_passes() as passes:
        metrics = _reconcile(source, target)  # 2,048 buckets at 4 kB need 8 MB
    assert (metrics["changed"], metrics["missing_in_target"]) == (20, 0)
    assert [p["work_mem"] for p in passes] == ["8MB"]
    plan = _plan(pg_url, passes[0])
    nodes = list(_nodes(plan))
    kinds = [node["Node Type"] for node in nodes]
    assert "Sort" not in kinds, kinds
    # on top, the packing of the bucket sums (sql_side._packed_checksums); beneath it, the one
    # aggregate that groups the rows into buckets
    assert kinds[0] == "Aggregate", kinds
    grouping = [n for n in nodes[1:] if n["Node Type"] == "Aggregate"]
    assert len(grouping) == 1, kinds
    assert grouping[0]["Strategy"] == "Hashed"
    assert grouping[0].get("HashAgg Batches", 1) == 1  # held in memory, nothing spilled
    assert isinstance(source.system, SqlSystem)
    with engine_for(source.system).connect() as conn:  # the pooled connection the pass used
        assert conn.exec_driver_sql("SHOW work_mem").scalar_one() == server  # not kept


@pytest.mark.parametrize("server", ["256MB", "1MB"])
def test_work_mem_is_never_lowered(
    pg_url: str, mariadb_url: str, tmp_path: Path, server: str
) -> None:
    source, target = _tables(pg_url, mariadb_url, tmp_path)
    assert isinstance(source.system, SqlSystem)
    url = sa.make_url(source.system.url).update_query_dict({"options": f"-c work_mem={server}"})
    system = replace(source.system, url=url.render_as_string(hide_password=False))
    with grouped_passes() as passes:
        metrics = _reconcile(replace(source, system=system), target)
    assert metrics["changed"] == 20
    # 2,048 buckets fit in 4 MB: a server's larger setting stays, a smaller one is raised to 4 MB
    assert [p["work_mem"] for p in passes] == ["256MB" if server == "256MB" else "4MB"]

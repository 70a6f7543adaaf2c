"""Differing hash buckets read on one side by the other side's keys (through its unique index)
instead of by a scan: counts stay exact when that side's collation is case- and
pad-insensitive (MariaDB's default), when it holds keys the other side lacks (those buckets
are merged by bucket afterwards), for composite keys, and with PostgreSQL as the side read by
key. Lookups are forced (LOOKUP_SHARE 0), chunked and sliced small so that queries cross
buckets."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checks.reconcile import checksum_engine, key_reads, reconcile, sql_side
from checks.reconcile.sql_side import SqlSide
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.dataset import SqlSystem
from tests.reconcile.tables import drifted_rows, load, truth

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _names_spec(source: Any, target: Any, key: tuple[str, ...]) -> ReconcileSpec:
    """Reconcile `source` against `target` on `key` (the same names each side), comparing name."""
    return ReconcileSpec(source, target, key, key, (FieldSpec("name", "name"),), Severity.ERROR)


@pytest.mark.parametrize(
    ("source_at", "target_at", "composite"),
    [
        ("pg", "mariadb", False),
        ("pg", "mariadb", True),
        ("mariadb", "pg", False),
        ("file", "pg", True),
    ],
)
def test_rows_read_by_key_give_exact_counts(
    source_at: str,
    target_at: str,
    composite: bool,
    monkeypatch: pytest.MonkeyPatch,
    pg_url: str,
    mariadb_url: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(checksum_engine, "LOOKUP_SHARE", 0)
    monkeypatch.setattr(checksum_engine, "LOOKUP_CHUNK", 7)
    monkeypatch.setattr(key_reads, "SCALARS_PER_QUERY", 6)  # 3 keys (1 composite) a query
    looked_up: list[int] = []
    real_lookup = SqlSide.lookup

    def counted(side: SqlSide, keys: Sequence[tuple[str | None, ...]]) -> Iterator[Any]:
        looked_up.append(len(keys))
        return real_lookup(side, keys)

    monkeypatch.setattr(SqlSide, "lookup", counted)
    where = {"pg": pg_url, "mariadb": mariadb_url, "file": "file"}
    key = ["region", "id"] if composite else ["id"]
    cols = [(k, "key_text") for k in key] + [("name", "text")]
    source_rows, target_rows = drifted_rows(composite)
    source = load(where[source_at], cols, source_rows, key=key, tmp=tmp_path)
    target = load(where[target_at], cols, target_rows, key=key, tmp=tmp_path)
    spec = _names_spec(source, target, tuple(key))
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    m = result.metrics
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == truth(
        source_rows, target_rows
    )
    assert m["compared"] == len({tuple(r[:-1]) for r in source_rows + target_rows})
    assert len(looked_up) > 1  # read by key, in several chunks of whole buckets


def test_many_differing_rows_are_scanned_not_read_by_key(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    """Half the rows differ: reading them by key would cost more than the scan it saves."""
    monkeypatch.setattr(SqlSide, "lookup", None)  # any lookup would fail the check
    cols = [("id", "key_text"), ("name", "text")]
    source_rows = [[f"k{i:04d}", f"n{i}"] for i in range(400)]
    target_rows = [[f"k{i:04d}", f"n{i}" + ("x" if i % 2 else "")] for i in range(400)]
    source = load(pg_url, cols, source_rows, key=["id"])
    target = load(mariadb_url, cols, target_rows, key=["id"])
    spec = _names_spec(source, target, ("id",))
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    assert result.metrics["changed"] == 200


def test_postgresql_reads_a_few_rows_without_a_cursor_when_alone(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    """The side streamed for key reads of the other is alone: PostgreSQL reads its few rows at
    once (a parallel plan is allowed); the checksum pass, beside the other side's, streams."""
    monkeypatch.setattr(checksum_engine, "LOOKUP_SHARE", 0)
    reads: list[tuple[str, bool]] = []
    real_stream = SqlSide.stream

    def stream(
        side: SqlSide, query: Any, batch: int = 1_000, buffered: bool = False, conn: Any = None
    ) -> Any:
        reads.append((side.dialect, buffered))
        return real_stream(side, query, batch, buffered, conn)

    monkeypatch.setattr(SqlSide, "stream", stream)
    cols = [("id", "key_text"), ("name", "text")]
    source_rows, target_rows = drifted_rows(False)
    source = load(pg_url, cols, source_rows, key=["id"])
    target = load(mariadb_url, cols, target_rows, key=["id"])
    spec = _names_spec(source, target, ("id",))
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    m = result.metrics
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == truth(
        source_rows, target_rows
    )
    assert ("postgresql", True) in reads  # the differing buckets' rows, at once
    assert ("postgresql", False) in reads  # the checksums, through a cursor
    assert ("mysql", False) in reads  # MariaDB's checksums, through a cursor
    assert ("mysql", True) in reads  # its rows read by key: at most as many as keys asked
    # more rows in those buckets than FEW_ROWS (as the checksum pass counted them, not as
    # buckets are meant to fill): streamed through a cursor, never held at once
    monkeypatch.setattr(sql_side, "FEW_ROWS", 1)
    reads.clear()
    again = reconcile(spec, NOW).metrics
    assert again["missing_in_target"] == m["missing_in_target"]
    assert reads and not any(buffered for dialect, buffered in reads if dialect != "mysql")


def test_a_latin1_connection_url_hashes_keys_as_utf8_like_every_engine(
    pg_url: str, mariadb_url: str
) -> None:
    """dxq's MariaDB connections speak utf8mb4 whatever the URL asks (datasources/connection.py):
    with ?charset=latin1, MariaDB hashed non-ASCII keys as latin1 bytes and every matching
    record was reported missing on both sides."""
    cols = [("code", "key_text"), ("name", "text")]
    rows = [[f"clé-{i:04d}é", f"n{i}"] for i in range(300)]
    source = load(pg_url, cols, rows, key=["code"])
    target = load(mariadb_url, cols, rows[3:], key=["code"])
    assert isinstance(target.system, SqlSystem)
    latin1 = replace(target.system, url=f"{target.system.url}?charset=latin1")
    for side in (target, replace(target, system=latin1)):
        spec = _names_spec(source, side, ("code",))
        m = reconcile(spec, NOW).metrics
        assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == (3, 0, 0), m

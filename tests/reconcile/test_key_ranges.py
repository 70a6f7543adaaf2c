"""Key-range (edge) buckets for text and composite keys (buckets.KEY_EDGES): every engine puts
a key in the bucket Python's bisect over UTF-8 bytes gives, and reconciles with them match
plain-Python counts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa

from checks.reconcile import buckets, checksum_engine, reconcile
from checks.reconcile.buckets import Buckets
from checks.reconcile.key_ranges import (
    bucket_expr,
    bucket_of,
    edges_from,
    key_bytes,
    wanted_expr,
)
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
URLS = {"pg": "pg_url", "mariadb": "mariadb_url", "sqlite": "sqlite_url"}
TRICKY = ["a", "A", "a ", "A ", "", " ", "ab", "aB", "b", "ß", "SS", "ss", "Ω", "ω", "é"]
TRICKY += ["e\u0301", "日本", "z", "Z", "zz", "~", "a\tb", "SKU-1", "sku-1", "SKU-10", "SKU-2"]


def test_edges_are_sorted_distinct_bytes_without_zero_bytes() -> None:
    sample = [("b",), ("a",), ("b",), ("c\x00",), ("d",), ("é",), ("A",)]
    edges = edges_from(sample, 3)
    assert list(edges) == sorted(set(edges)) and len(edges) == 2
    assert all(b"\x00" not in part for edge in edges for part in edge)
    assert edges_from([], 10) == () and edges_from(sample, 1) == ()
    assert key_bytes(("é", "a")) == ("é".encode(), b"a")
    assert bucket_of(edges, ("A",)) == 0 and bucket_of(edges, ("zz",)) == 2


@pytest.mark.parametrize("kind", ["pg", "mariadb"])
def test_database_buckets_equal_python_bisect(kind: str, request: pytest.FixtureRequest) -> None:
    """Bucket numbers and wanted-bucket filters computed by the database's CASE agree with
    Python's bisect over UTF-8 bytes, for composite keys with case, padding and unicode."""
    keys = [(a, b) for a in TRICKY for b in ("", "x", "X ", "ü")]
    edges = edges_from(keys[::3], 12)
    wanted = [0, 2, 3, 7, len(edges)]
    dialect = "postgresql" if kind == "pg" else "mysql"
    parts: list[sa.ColumnElement[Any]] = [sa.column("dxq_e0"), sa.column("dxq_e1")]
    bucket = bucket_expr(dialect, parts, edges)
    chosen = wanted_expr(dialect, parts, edges, wanted)
    engine = sa.create_engine(request.getfixturevalue(URLS[kind]))
    # as sql_side derives them: PostgreSQL text, MariaDB case-insensitive text cast to bytes
    cast = (
        "CAST({} AS TEXT)"
        if kind == "pg"
        else "CAST(CONVERT({} USING utf8mb4) COLLATE utf8mb4_general_ci AS BINARY)"
    )
    rows = " UNION ALL ".join(
        f"SELECT {i} AS i, {cast.format(':a' + str(i))} AS dxq_e0, "
        f"{cast.format(':b' + str(i))} AS dxq_e1"
        for i in range(len(keys))
    )
    params = {f"a{i}": a for i, (a, _) in enumerate(keys)}
    params |= {f"b{i}": b for i, (_, b) in enumerate(keys)}
    with engine.connect() as conn:
        if kind == "pg":
            conn.exec_driver_sql("SET standard_conforming_strings = on")
        query = sa.select(sa.literal_column("i"), bucket, sa.case((chosen, 1), else_=0))
        query = query.select_from(sa.text(f"({rows}) AS t"))
        got = {r[0]: (r[1], r[2]) for r in conn.execute(query, params)}
    engine.dispose()
    expected = {}
    for i, key in enumerate(keys):
        number = bucket_of(edges, key)
        expected[i] = (number, int(number in wanted))
    assert got == expected
    assert len({b for b, _ in got.values()}) == len(edges) + 1  # every bucket is used


def _values(keys: list[str], salt: str) -> dict[tuple[str, ...], str]:
    return {(k,): f"v{i}{salt}" for i, k in enumerate(keys)}


PAIRS = [
    ("pg", "mariadb"),
    ("mariadb", "pg"),
    ("pg", "sqlite"),
    ("mariadb", "sqlite"),
    ("file", "pg"),
    ("mariadb", "file"),
]


@pytest.mark.parametrize("composite", [False, True])
@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_tricky_text_keys_match_ground_truth(
    source_kind: str,
    target_kind: str,
    composite: bool,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """Mixed case, unicode, trailing spaces, and keys equal under MariaDB's case- and
    pad-insensitive collation (no unique index there, so both are kept) reconcile exactly."""
    keys: list[tuple[str, ...]] = (
        [(a, b) for a in TRICKY[:12] for b in ("x", "X", "x ")]
        if composite
        else [(k,) for k in TRICKY]
    )
    source = {k: f"v{i}" for i, k in enumerate(keys)}
    target = dict(source)
    for i, key in enumerate(keys):
        if i % 5 == 1:
            del target[key]
        elif i % 7 == 2:
            target[key] += " changed"
    target[(*keys[0][:-1], "only in target")] = "new"
    names = ["g", "h"] if composite else ["g"]
    cols = [(n, "key_text") for n in names] + [("v", "text")]

    def where(kind: str) -> str:
        return "file" if kind == "file" else str(request.getfixturevalue(URLS[kind]))

    def table(kind: str, data: dict[tuple[str, ...], str]) -> Any:
        rows = [[*k, v] for k, v in data.items()]
        collate = "utf8mb4_general_ci" if kind == "mariadb" else None
        return load(where(kind), cols, rows, key=[], tmp=tmp_path, collate=collate)

    spec = ReconcileSpec(
        table(source_kind, source),
        table(target_kind, target),
        tuple(names),
        tuple(names),
        (FieldSpec("v", "v"),),
        Severity.ERROR,
        sample=100,
    )
    used: list[Buckets] = []
    real = checksum_engine._edges

    def spy(*args: Any) -> Buckets:
        used.append(real(*args))
        return used[-1]

    with (
        mock.patch.object(buckets, "KEY_EDGES", True),
        mock.patch.object(buckets, "BUCKET_ROWS", 1),
        mock.patch.object(checksum_engine, "_edges", spy),
    ):
        result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    assert used and used[0].by_edges and used[0].count > 5
    expected = {
        "source_rows": len(source),
        "target_rows": len(target),
        "missing_in_target": len(source.keys() - target.keys()),
        "missing_in_source": len(target.keys() - source.keys()),
        "changed": sum(1 for k in source.keys() & target.keys() if source[k] != target[k]),
    }
    assert {k: result.metrics[k] for k in expected} == expected
    found = {tuple(m.key[n] for n in names) for m in result.mismatched_keys}
    assert found == (source.keys() ^ target.keys()) | {
        k for k in source.keys() & target.keys() if source[k] != target[k]
    }


def test_only_differing_ranges_are_fetched(pg_url: str, mariadb_url: str) -> None:
    """2,000 text keys, two differences: the range engine fetches a few buckets, not tables."""
    keys = [f"SKU-{(i * 7919) % 100_003:06d}" for i in range(2_000)]
    rows = [[k, f"name {i}"] for i, k in enumerate(keys)]
    changed = [list(r) for r in rows]
    changed[10][1] = "other"
    del changed[1_500]
    cols = [("sku", "key_text"), ("name", "text")]
    source = load(pg_url, cols, rows, key=["sku"])
    target = load(mariadb_url, cols, changed, key=["sku"])
    spec = ReconcileSpec(
        source, target, ("sku",), ("sku",), (FieldSpec("name", "name"),), Severity.ERROR
    )
    with mock.patch.object(buckets, "KEY_EDGES", True):
        result = reconcile(spec, NOW)
    assert result.metrics["changed"] == 1 and result.metrics["missing_in_target"] == 1
    assert result.metrics["compared"] == 2_000
    fetched = result.metrics["rows_fetched"]
    assert 0 < fetched["source"] <= 400 and 0 < fetched["target"] <= 400, fetched

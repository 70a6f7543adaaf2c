"""How reconcile reads its database sides: bucket sums packed several buckets to a row (both
PostgreSQL's and MariaDB's: each case below reads one of each), and MariaDB's rows of differing
buckets kept in a temporary table and sorted there. The packing is shrunk here so that small
tables cross many packed rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checks.reconcile import packed_sums, reconcile
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("packed", [1, 3, 4_096])
@pytest.mark.parametrize("key_shape", ["integer", "text"])
def test_packed_bucket_sums_give_exact_counts(
    packed: int, key_shape: str, monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    monkeypatch.setattr(packed_sums, "PACKED_BUCKETS", packed)
    key_kind = "key_int" if key_shape == "integer" else "key_text"
    cols = [("id", key_kind), ("name", "text")]

    def key(i: int) -> object:
        return i if key_shape == "integer" else f"k-{i * 7919 % 10007:05d}"

    source_rows = [[key(i), f"name {i}"] for i in range(600)]
    target_rows = [
        [key(i), f"name {i}" + (" changed" if i % 50 == 3 else "")]
        for i in range(600)
        if i % 40 != 7  # 15 missing in the target
    ]
    target_rows += [[key(i), "extra"] for i in range(600, 604)]  # 4 missing in the source
    source = load(pg_url, cols, source_rows, key=["id"])
    target = load(mariadb_url, cols, target_rows, key=["id"])
    for a, b, lost, extra in ((source, target, 15, 4), (target, source, 4, 15)):
        spec = ReconcileSpec(a, b, ("id",), ("id",), (FieldSpec("name", "name"),), Severity.ERROR)
        result = reconcile(spec, NOW)
        assert result.outcome is Outcome.FAILED, result.reason
        m = result.metrics
        assert (m["missing_in_target"], m["missing_in_source"]) == (lost, extra)
        assert m["changed"] == 12  # i % 50 == 3 below 600
        assert m["compared"] == 604
        assert m["engine"] == "checksum"


@pytest.mark.parametrize("sides", ["pg-mariadb", "mariadb-pg"])
def test_a_change_alone_differs_only_in_its_bucket(
    sides: str, pg_url: str, mariadb_url: str
) -> None:
    """Same keys on both sides, a few values changed: the bucket sums (packed by each engine,
    checks/reconcile/packed_sums.py) differ only where a value changed, so only those buckets'
    rows are read. A sum clamped or cut on either side (MariaDB's bare DECIMAL is
    DECIMAL(10, 0)) makes every bucket differ."""
    urls = {"pg": pg_url, "mariadb": mariadb_url}
    first, second = (urls[s] for s in sides.split("-"))
    cols = [("id", "key_text"), ("name", "text")]
    rows = [[f"k-{i * 7919 % 10007:05d}", f"name {i}"] for i in range(4_000)]
    changed = [[k, name + (" changed" if i % 500 == 3 else "")] for i, (k, name) in enumerate(rows)]
    source = load(first, cols, rows, key=["id"])
    target = load(second, cols, changed, key=["id"])
    spec = ReconcileSpec(
        source, target, ("id",), ("id",), (FieldSpec("name", "name"),), Severity.ERROR
    )
    m = reconcile(spec, NOW).metrics
    assert (m["changed"], m["missing_in_target"], m["missing_in_source"]) == (8, 0, 0)
    assert m["engine"] == "checksum"
    fetched = m["rows_fetched"]
    assert 0 < fetched["source"] + fetched["target"] <= 400, fetched  # of 8,000: 8 buckets' rows

"""How reconcile reads its database sides: bucket sums packed several buckets to a row (both
PostgreSQL's and MariaDB's: each case below reads one of each), and MariaDB's rows of differing
buckets kept in a temporary table and sorted there. The packing is shrunk here so that small
tables cross many packed rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checks.reconcile import reconcile, sql_side
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("packed", [1, 3, 4_096])
@pytest.mark.parametrize("key_shape", ["integer", "text"])
def test_packed_bucket_sums_give_exact_counts(
    packed: int, key_shape: str, monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    monkeypatch.setattr(sql_side, "PACKED_BUCKETS", packed)
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

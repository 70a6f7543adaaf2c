"""The packing of bucket sums (checks/reconcile/packed_sums.py) in each engine: whatever a
bucket's exact sum, the bytes PostgreSQL sends and the digits MariaDB sends read back as the same
(bucket, rows, sum modulo 2**64, rows in flight). Sums at and beyond 2**63 and 2**64 are where
the top bit is flipped and the modulo taken; a reconcile's small tables rarely reach them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from checks.reconcile import packed_sums
from checks.reconcile.session_settings import prepared

SUMS = [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 1 << 64, (1 << 64) + 5, (1 << 70) + 3]


def _sums(dialect: str) -> sa.Subquery:
    """SUMS as rows (b, n, h, f) of a derived table, h as exact as a SUM of BIGINTs gives it."""
    exact = sa.Numeric(65, 0)
    rows = [
        sa.select(
            sa.literal(b, sa.BigInteger).label("b"),
            sa.literal(b % 7 + 1, sa.BigInteger).label("n"),
            sa.cast(sa.literal(str(h), sa.String), exact).label("h"),
            sa.literal(b % 3, sa.BigInteger).label("f"),
        )
        for b, h in enumerate(SUMS)
    ]
    return sa.union_all(*rows).subquery("sums")


@pytest.mark.parametrize("packed", [1, 3, 4_096])
@pytest.mark.parametrize("engine", ["pg", "mariadb"])
def test_every_sum_reads_back_modulo_2_64(
    engine: str, packed: int, monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    monkeypatch.setattr(packed_sums, "PACKED_BUCKETS", packed)
    dialect = "postgresql" if engine == "pg" else "mysql"
    database = sa.create_engine(pg_url if engine == "pg" else mariadb_url)
    try:  # under the session settings reconcile runs its queries with (MariaDB's packing room)
        with database.connect() as conn, prepared(conn):
            rows: list[Any] = [
                row for (row,) in conn.execute(packed_sums.packed(dialect, _sums(dialect)))
            ]
    finally:
        database.dispose()
    assert len(rows) == -(-len(SUMS) // packed)
    got = sorted(entry for row in rows for entry in packed_sums.unpacked(row))
    assert got == [(b, b % 7 + 1, h % (1 << 64), b % 3) for b, h in enumerate(SUMS)]

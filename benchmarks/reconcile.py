"""Benchmark: reconcile N rows in PostgreSQL against N rows in MariaDB, 0.1% differing.

Creates (and drops) its own databases on 127.0.0.1 (PostgreSQL as postgres, MariaDB as root),
bulk-loads them (COPY / LOAD DATA), then prints wall time, peak RSS, rows fetched per side and
the ratio to a lower bound measured in the same run: one aggregate checksum query per table
(count and sum of the canonical row hash), both sides at once.

    .venv/bin/python benchmarks/reconcile.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checks.reconcile import reconcile
from checks.result import Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources import canonical as c
from datasources.connection import read_only
from datasources.dataset import Dataset, SqlSystem

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/mysql"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _row(i: int, target: bool) -> str | None:
    if target and i % 2000 == 7:
        return None  # missing in target: 0.05%
    name = f"product {i}"
    if target and i % 2000 == 3:
        name += " (changed)"  # changed: 0.05%
    price = f"{(i % 100_000) / 100:.2f}"
    stamp = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{i}\t{name}\t{price}\t{i % 17}\t{stamp}\n"


def _write(rows: int, target: bool, path: str) -> None:
    with open(path, "w") as out:
        for i in range(rows):
            line = _row(i, target)
            if line:
                out.write(line)


DDL = (
    "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100), price NUMERIC(12,2),"
    " qty INT, updated {ts})"
)


def setup(rows: int, tmp: str) -> tuple[str, str, str]:
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    src, tgt = os.path.join(tmp, "src.tsv"), os.path.join(tmp, "tgt.tsv")
    _write(rows, False, src)
    _write(rows, True, tgt)
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg_url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(DDL.format(ts="TIMESTAMP"))
        raw = conn.connection.dbapi_connection
        with (
            raw.cursor() as cur,  # type: ignore[union-attr]
            open(src, "rb") as data,
            cur.copy("COPY items FROM STDIN") as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        conn.exec_driver_sql("ANALYZE items")
    my_admin = sa.create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT")
    with my_admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    my_url = sa.make_url(MY_ADMIN).set(database=name).render_as_string(hide_password=False)
    loader = sa.create_engine(my_url, connect_args={"local_infile": True})
    with loader.begin() as conn:
        conn.exec_driver_sql(DDL.format(ts="DATETIME"))
        conn.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{tgt}' INTO TABLE items")
    return name, pg_url, my_url


def teardown(name: str) -> None:
    with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with sa.create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def checksum_pass(system: SqlSystem) -> Any:
    """The lower bound on one side: count and sum of the canonical row hash, one query."""
    with read_only(system) as conn:
        dialect = "mysql" if conn.dialect.name in ("mysql", "mariadb") else conn.dialect.name
        if dialect == "mysql":
            conn.exec_driver_sql("SET time_zone = '+00:00'")
        t = sa.table("items", *[sa.column(n) for n in ("id", "name", "price", "qty", "updated")])
        parts = [
            c.canonical(dialect, t.c.id, "integer", "UTC", False),
            c.canonical(dialect, t.c.name, "text", "UTC", False),
            c.canonical(dialect, t.c.price, "number", "UTC", False),
            c.canonical(dialect, t.c.qty, "integer", "UTC", False),
            c.canonical(dialect, t.c.updated, "timestamp", "UTC", False),
        ]
        digest = c.hash60(dialect, c.row_text(dialect, parts))
        query = sa.select(sa.func.count(), c.hash_sum(dialect, digest)).select_from(t)
        return conn.execute(query).one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        name, pg_url, my_url = setup(args.rows, tmp)
        print(f"set-up: {args.rows:,} rows per side in {time.monotonic() - started:.1f} s")
    try:
        pg, my = SqlSystem("pg", pg_url), SqlSystem("mariadb", my_url)
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(checksum_pass, (pg, my)))
        bound = time.monotonic() - started
        fields = tuple(FieldSpec(n, n) for n in ("name", "price", "qty", "updated"))
        spec = ReconcileSpec(
            Dataset(pg, table="items"),
            Dataset(my, table="items"),
            ("id",),
            ("id",),
            fields,
            Severity.ERROR,
        )
        started = time.monotonic()
        result = reconcile(spec, datetime.now(UTC))
        wall = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        m = result.metrics
        print(f"outcome: {result.outcome} {result.observed} {result.reason or ''}")
        print(
            f"missing_in_target={m.get('missing_in_target')} changed={m.get('changed')} "
            f"compared={m.get('compared')}"
        )
        print(f"rows fetched: {m.get('rows_fetched')}")
        print(f"lower bound (one checksum pass, both sides at once): {bound:.2f} s")
        print(f"reconcile wall time: {wall:.2f} s = {wall / bound:.2f}x the lower bound")
        print(f"peak RSS: {peak_mb:.0f} MB")
    finally:
        teardown(name)


if __name__ == "__main__":
    main()

"""Benchmark: reconcile N rows in PostgreSQL against N rows in MariaDB, 0.1% differing.

Creates (and drops) its own databases on 127.0.0.1 (PostgreSQL as postgres, MariaDB as root),
bulk-loads them (COPY / LOAD DATA), then prints wall time, peak RSS (from the end of the
set-up, which the load's buffers would otherwise dominate), rows fetched per side and
the ratio to a lower bound measured in the same run: one aggregate checksum query per table
(count and sum of the canonical row hash), both sides at once. Both the lower bound and the
reconcile run --pairs times, alternated (the first pair warms caches); each warm pair's ratio
is printed, and their (lower) median.

Text and composite keys use key-hash buckets.
Keys (--key): int (BIGINT id), text (VARCHAR SKUs like 'SKU-000000123'), composite
(country CHAR(2), sku VARCHAR), each the primary key.

    .venv/bin/python benchmarks/reconcile.py --rows 1000000 --key text
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


COUNTRIES = ["DE", "FR", "GB", "IT", "ES", "NL", "PL", "SE", "US", "JP", "BR", "IN"]
KEYS = {
    "int": (("id",), "id BIGINT PRIMARY KEY"),
    "text": (("sku",), "sku VARCHAR(20) PRIMARY KEY"),
    "composite": (("country", "sku"), "country CHAR(2), sku VARCHAR(20)"),
}
FIELDS = ("name", "price", "qty", "updated")


def _key(i: int, kind: str) -> str:
    if kind == "int":
        return str(i)
    sku = f"SKU-{(i * 7919) % 1_000_000_007:09d}"  # unique, not in load order
    return sku if kind == "text" else f"{COUNTRIES[i % len(COUNTRIES)]}\t{sku}"


def _row(i: int, target: bool, kind: str) -> str | None:
    if target and i % 2000 == 7:
        return None  # missing in target: 0.05%
    name = f"product {i}"
    if target and i % 2000 == 3:
        name += " (changed)"  # changed: 0.05%
    price = f"{(i % 100_000) / 100:.2f}"
    stamp = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{_key(i, kind)}\t{name}\t{price}\t{i % 17}\t{stamp}\n"


def _write(rows: int, target: bool, path: str, kind: str) -> None:
    with open(path, "w") as out:
        for i in range(rows):
            line = _row(i, target, kind)
            if line:
                out.write(line)


def ddl(kind: str, ts: str) -> str:
    names, columns = KEYS[kind]
    primary = f", PRIMARY KEY ({', '.join(names)})" if len(names) > 1 else ""
    return (
        f"CREATE TABLE items ({columns}, name VARCHAR(100), price NUMERIC(12,2),"
        f" qty INT, updated {ts}{primary})"
    )


def setup(rows: int, tmp: str, kind: str) -> tuple[str, str, str]:
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    src, tgt = os.path.join(tmp, "src.tsv"), os.path.join(tmp, "tgt.tsv")
    _write(rows, False, src, kind)
    _write(rows, True, tgt, kind)
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg_url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(ddl(kind, "TIMESTAMP"))
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
        conn.exec_driver_sql(ddl(kind, "DATETIME"))
        conn.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{tgt}' INTO TABLE items")
    return name, pg_url, my_url


def teardown(name: str) -> None:
    with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with sa.create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def checksum_pass(system: SqlSystem, kind: str) -> Any:
    """The lower bound on one side: count and sum of the canonical row hash, one query."""
    keys = KEYS[kind][0]
    with read_only(system) as conn:
        dialect = "mysql" if conn.dialect.name in ("mysql", "mariadb") else conn.dialect.name
        if dialect == "mysql":
            conn.exec_driver_sql("SET time_zone = '+00:00'")
        else:  # as reconcile runs its queries
            conn.exec_driver_sql("SET LOCAL jit = off")
        t = sa.table("items", *[sa.column(n) for n in (*keys, *FIELDS)])
        category = "integer" if kind == "int" else "text"
        parts = [
            *[c.canonical(dialect, t.c[k], category, "UTC", False) for k in keys],
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
    parser.add_argument("--key", choices=sorted(KEYS), default="int")
    parser.add_argument("--pairs", type=int, default=3, help="lower bound + reconcile runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        name, pg_url, my_url = setup(args.rows, tmp, args.key)
        print(
            f"set-up: {args.rows:,} rows per side, {args.key} key, in "
            f"{time.monotonic() - started:.1f} s"
        )
    try:
        pg, my = SqlSystem("pg", pg_url), SqlSystem("mariadb", my_url)
        keys = KEYS[args.key][0]
        spec = ReconcileSpec(
            Dataset(pg, table="items"),
            Dataset(my, table="items"),
            keys,
            keys,
            tuple(FieldSpec(n, n) for n in FIELDS),
            Severity.ERROR,
        )
        measured_from = reset_peak_rss()  # the bulk load's buffers are not reconcile's
        bounds, walls = [], []
        for _ in range(max(2, args.pairs)):  # alternated: load from elsewhere hits both alike
            started = time.monotonic()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda system: checksum_pass(system, args.key), (pg, my)))
            bounds.append(time.monotonic() - started)
            result = None  # the previous run's result is not part of this run's memory
            started = time.monotonic()
            result = reconcile(spec, datetime.now(UTC))
            walls.append(time.monotonic() - started)
        peak_mb = peak_rss_mb()
        m = result.metrics
        print(f"outcome: {result.outcome} {result.observed} {result.reason or ''}")
        print(
            f"missing_in_target={m.get('missing_in_target')} changed={m.get('changed')} "
            f"compared={m.get('compared')} (expected {args.rows // 2000 + (args.rows % 2000 > 7)}"
            f" missing, {args.rows // 2000 + (args.rows % 2000 > 3)} changed)"
        )
        print(f"rows fetched: {m.get('rows_fetched')}")
        print(f"lower bound runs (one checksum pass, both sides at once): {_seconds(bounds)}")
        print(f"reconcile runs: {_seconds(walls)}")
        ratios = [w / b for w, b in zip(walls[1:], bounds[1:], strict=True)]
        print(f"ratio of each warm pair: {', '.join(f'{r:.2f}x' for r in ratios)}")
        middle = sorted(ratios)[(len(ratios) - 1) // 2]
        print(f"second pair: {walls[1]:.2f} s = {ratios[0]:.2f}x; (lower) median {middle:.2f}x")
        print(f"peak RSS: {peak_mb:.0f} MB (since {measured_from})")
    finally:
        teardown(name)


def reset_peak_rss() -> str:
    """Restart the kernel's peak-RSS count (Linux: clear_refs 5); where that is not possible
    the peak covers the set-up too. Returns what the printed peak covers."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return "the set-up ended"
    except OSError:
        return "the process started"


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + " s"


if __name__ == "__main__":
    main()

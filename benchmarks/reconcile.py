"""Benchmark: reconcile N rows in PostgreSQL against N rows in MariaDB, 0.1% differing, for
each kind of key, each `dxq run` measured as a whole process (benchmarks/dxq_process.py).

Creates (and drops) its own databases on 127.0.0.1 (PostgreSQL as postgres, MariaDB as root),
bulk-loads them (COPY / LOAD DATA), then alternates, --pairs times: the lower bound, one
checksum pass over both tables at once (count and sum of the canonical row hash, as reconcile
canonicalizes rows), and a `dxq run` of the integration. It prints a table: rows, key, lower
bound, dxq, their ratio (the first pair warms caches) and the median ratio of the warm pairs,
time outside the checks (start-up, probes, store), peak RSS and rows fetched per side. Exits 1
when a count is wrong or a target is missed (dxq_process.py): a median ratio over TARGET_RATIO,
or a peak RSS of TARGET_RSS_MB or more. The median judges, as on a shared host the same code's
single pairs spread widely (1.06x to 1.89x within minutes, benchmarks/README.md).

With --keep, each table pair is loaded once into databases of a fixed name (dxq_bench_KEY_ROWS)
and left there; later runs with --keep reuse it (loading 10M rows a side takes 4-8 minutes, and
a freshly loaded MariaDB table is slower for a while: measure it again later), --drop drops it.

Keys (--key, default all): int (BIGINT id), text (VARCHAR SKUs like 'SKU-000000123'),
composite (country CHAR(2), sku VARCHAR), renamed (a text key named sku in PostgreSQL and
code in MariaDB), each the primary key. Integer keys use range buckets, the others their keys'
tails (checks/reconcile/key_tails.py).

    .venv/bin/python benchmarks/reconcile.py --rows 1000000 [--key text] [--pairs 3] [--keep]
    .venv/bin/python benchmarks/reconcile.py --rows 10000000 --key text --drop
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dxq_process import (
    TARGET_RATIO,
    TARGET_RSS_MB,
    MeasuredRun,
    checksum_floor,
    create_databases,
    drop_databases,
    dxq_run,
    load_average,
    loaded_once,
    monitor_file,
    settle,
)

from datasources.dataset import SqlSystem

T0 = datetime(2026, 1, 1, tzinfo=UTC)


COUNTRIES = ["DE", "FR", "GB", "IT", "ES", "NL", "PL", "SE", "US", "JP", "BR", "IN"]
KEYS = {  # key columns (PostgreSQL, MariaDB), their categories, and their DDL on each side
    "int": (("id",), ("id",), ("integer",), "{} BIGINT PRIMARY KEY"),
    "text": (("sku",), ("sku",), ("text",), "{} VARCHAR(20) PRIMARY KEY"),
    "composite": (
        ("country", "sku"),
        ("country", "sku"),
        ("text", "text"),
        "{} CHAR(2), {} VARCHAR(20)",
    ),
    "renamed": (("sku",), ("code",), ("text",), "{} VARCHAR(20) PRIMARY KEY"),
}
FIELDS = ("name", "price", "qty", "updated")
CATEGORIES = ("text", "number", "integer", "timestamp")


def _key(i: int, kind: str) -> str:
    if kind == "int":
        return str(i)
    sku = f"SKU-{(i * 7919) % 1_000_000_007:09d}"  # unique, not in load order
    return f"{COUNTRIES[i % len(COUNTRIES)]}\t{sku}" if kind == "composite" else sku


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
    pg_names, my_names, _, template = KEYS[kind]
    names = my_names if ts == "DATETIME" else pg_names
    columns = template.format(*names)
    primary = f", PRIMARY KEY ({', '.join(names)})" if len(names) > 1 else ""
    return (
        f"CREATE TABLE items ({columns}, name VARCHAR(100), price NUMERIC(12,2),"
        f" qty INT, updated {ts}{primary})"
    )


def kept_name(rows: int, kind: str) -> str:
    """The databases `--keep` loads a table pair into, and later runs reuse."""
    return f"dxq_bench_{kind}_{rows}"


def setup(rows: int, tmp: str, kind: str) -> tuple[str, str, str]:
    """A table pair loaded into new databases of a new name: (name, PostgreSQL, MariaDB)."""
    name = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    pg_url, my_url = create_databases(name)
    _load(rows, tmp, kind, pg_url, my_url)
    return name, pg_url, my_url


def kept(rows: int, tmp: str, kind: str) -> tuple[str, str, str, bool]:
    """The `--keep` databases of this size and key, loaded unless a previous run finished
    loading them (dxq_process.loaded_once); the last item says whether they were loaded now."""
    name = kept_name(rows, kind)
    return name, *loaded_once(name, rows, functools.partial(_load, rows, tmp, kind))


def _load(rows: int, tmp: str, kind: str, pg_url: str, my_url: str) -> None:
    """Load the table pair into empty databases, analyzed and settled."""
    src, tgt = os.path.join(tmp, "src.tsv"), os.path.join(tmp, "tgt.tsv")
    _write(rows, False, src, kind)
    _write(rows, True, tgt, kind)
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
    loader = sa.create_engine(my_url, connect_args={"local_infile": True})
    with loader.begin() as conn:
        conn.exec_driver_sql(ddl(kind, "DATETIME"))
        conn.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{tgt}' INTO TABLE items")
    settle(pg_url, my_url, "items")  # analyzes both tables too


def integration(kind: str) -> str:
    pg_names, my_names, _, _ = KEYS[kind]
    key = f"{{source: [{', '.join(pg_names)}], target: [{', '.join(my_names)}]}}"
    return (
        "  items:\n    source: pg.items\n    target: my.items\n"
        f"    key: {key}\n    compare: [{', '.join(FIELDS)}]\n"
        "    reconcile: {max_mismatch_rate: 1%}\n"
    )


def measure(
    rows: int, kind: str, pairs: int, keep: bool = False
) -> tuple[list[float], list[MeasuredRun], list[str]]:
    """Lower bounds and dxq runs, alternated (load from elsewhere hits both alike); with
    `keep`, on the kept databases (loaded if need be), left in place afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        if keep:
            name, pg_url, my_url, loaded = kept(rows, tmp, kind)
        else:
            (name, pg_url, my_url), loaded = setup(rows, tmp, kind), True
        how = "set up" if loaded else "reused"
        print(f"{how}: {rows:,} rows per side, {kind} key, in {time.monotonic() - started:.1f} s")
    bounds: list[float] = []
    runs: list[MeasuredRun] = []
    wrong: list[str] = []
    try:
        pg_names, my_names, key_kinds, _ = KEYS[kind]
        pg, my = SqlSystem("pg", pg_url), SqlSystem("my", my_url)
        fields = list(zip(FIELDS, CATEGORIES, strict=True))
        sides = [
            (pg, "items", [*zip(pg_names, key_kinds, strict=True), *fields]),
            (my, "items", [*zip(my_names, key_kinds, strict=True), *fields]),
        ]
        expected = {
            "missing_in_target": rows // 2000 + (rows % 2000 > 7),
            "changed": rows // 2000 + (rows % 2000 > 3),
            "missing_in_source": 0,
        }
        with tempfile.TemporaryDirectory() as tmp:
            config = monitor_file(Path(tmp), {"pg": pg_url, "my": my_url}, integration(kind))
            for _ in range(max(2, pairs)):
                bounds.append(checksum_floor(sides))
                runs.append(dxq_run(config))
                metrics = runs[-1].checks()[0]["metrics"]
                found = {k: metrics.get(k) for k in expected}
                if found != expected:
                    wrong.append(f"{kind}: counted {found}, expected {expected}")
    finally:
        if not keep:
            drop_databases(name)
    return bounds, runs, wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--key", choices=[*KEYS, "all"], default="all")
    parser.add_argument("--pairs", type=int, default=2, help="lower bound + dxq runs")
    keep = "load each pair once into dxq_bench_KEY_ROWS, reuse it in later runs, keep it"
    parser.add_argument("--keep", action="store_true", help=keep)
    parser.add_argument("--drop", action="store_true", help="drop the --keep databases, exit")
    args = parser.parse_args()
    kinds = list(KEYS) if args.key == "all" else [args.key]
    if args.drop:
        for kind in kinds:
            drop_databases(kept_name(args.rows, kind))
        return 0
    table = [
        "| rows | key | lower bound | dxq (whole process) | ratio | median | outside checks "
        "| process CPU | peak RSS | rows fetched (src / tgt) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    wrong: list[str] = []
    missed: list[str] = []
    for kind in kinds:
        print(f"load average: {load_average()}", flush=True)
        bounds, runs, errors = measure(args.rows, kind, args.pairs, args.keep)
        wrong += errors
        warm = list(zip(bounds[1:], runs[1:], strict=True))
        fetched = runs[-1].checks()[0]["metrics"].get("rows_fetched", {})
        ratios = [r.wall_s / b for b, r in warm]
        median, rss = statistics.median(ratios), max(r.peak_rss_mb for r in runs)
        if median > TARGET_RATIO:
            missed.append(f"{kind}: median {median:.2f}x > {TARGET_RATIO}x")
        if rss >= TARGET_RSS_MB:
            missed.append(f"{kind}: peak RSS {rss:.0f} MB >= {TARGET_RSS_MB} MB")
        table.append(
            f"| {args.rows / 1e6:g}M | {kind} | {_seconds(b for b, _ in warm)} | "
            f"{_seconds(r.wall_s for _, r in warm)} | {', '.join(f'{x:.2f}x' for x in ratios)} | "
            f"{median:.2f}x | {_seconds(r.overhead_s for _, r in warm)} | "
            f"{_seconds(r.cpu_s for _, r in warm)} | {rss:.0f} MB | "
            f"{fetched.get('source', 0):,} / {fetched.get('target', 0):,} |"
        )
        print("\n".join(table), flush=True)
    for problem in wrong:
        print(f"WRONG: {problem}")
    print(f"missed: {'; '.join(missed)}" if missed else "every target met")
    print(f"load average at the end: {load_average()}")
    return 1 if wrong or missed else 0


def _seconds(values: Iterable[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + " s"


if __name__ == "__main__":
    raise SystemExit(main())

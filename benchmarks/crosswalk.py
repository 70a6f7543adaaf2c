"""Benchmark: reconcile through a key crosswalk (checks/reconcile/crosswalk.py) against the
direct match of the same rows, each `dxq run` measured as a whole process
(benchmarks/dxq_process.py).

Creates (and drops) its own databases: PostgreSQL holds the source (shop_id BIGINT) and the
crosswalk (shop_id -> crm_id), MariaDB the target (crm_id VARCHAR, and shop_id too, so the
direct match is possible). 0.05% of the target's records changed, 0.05% missing, 0.02% of the
keys missing from the crosswalk on both sides. The lower bound is the direct reconcile of the
same tables (the checksum engine on shop_id), alternated with the crosswalk run --pairs times.
Prints wall time, ratio, peak RSS and the counts; exits 1 when a count is wrong.

    .venv/bin/python benchmarks/crosswalk.py --rows 1000000 [--pairs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dxq_process import (
    MeasuredRun,
    create_databases,
    drop_databases,
    dxq_run,
    load_average,
    monitor_file,
)


def _files(rows: int, tmp: str) -> tuple[str, str, str]:
    paths = tuple(os.path.join(tmp, f"{n}.tsv") for n in ("src", "tgt", "xref"))
    with open(paths[0], "w") as src, open(paths[1], "w") as tgt, open(paths[2], "w") as xref:
        for i in range(rows):
            crm = f"C-{(i * 7919) % 1_000_000_007:010d}"  # unique, not in load order
            price = f"{(i % 100_000) / 100:.2f}"
            src.write(f"{i}\tcustomer {i}\t{price}\n")
            if i % 2000 != 7:  # missing in the target
                name = f"customer {i}" + (" (changed)" if i % 2000 == 3 else "")
                tgt.write(f"{crm}\t{i}\t{name}\t{price}\n")
            if i % 5000 != 11:  # not in the crosswalk (on both sides)
                xref.write(f"{i}\t{crm}\n")
    return paths


def expected(rows: int) -> dict[str, dict[str, int]]:
    def count(mod: int, rest: int) -> int:
        return sum(1 for i in range(rows) if i % mod == rest)

    direct = {"missing_in_target": count(2000, 7), "changed": count(2000, 3)}
    unmapped = count(5000, 11)
    return {
        "direct": direct,
        "crosswalk": {
            **direct,
            "source_keys_not_in_crosswalk": unmapped,
            "target_keys_not_in_crosswalk": unmapped,
        },
    }


def setup(rows: int, tmp: str) -> tuple[str, str, str]:
    name = f"dxq_xwalk_{uuid.uuid4().hex[:8]}"
    src, tgt, xref = _files(rows, tmp)
    pg_url, my_url = create_databases(name)
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE src (shop_id BIGINT PRIMARY KEY, name VARCHAR(100), price NUMERIC(12,2))"
        )
        conn.exec_driver_sql("CREATE TABLE xref (shop_id BIGINT, crm_id VARCHAR(20))")
        raw = conn.connection.dbapi_connection
        for table, path in (("src", src), ("xref", xref)):
            with (
                raw.cursor() as cur,  # type: ignore[union-attr]
                open(path, "rb") as data,
                cur.copy(f"COPY {table} FROM STDIN") as copy,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
        conn.exec_driver_sql("ANALYZE src")
        conn.exec_driver_sql("ANALYZE xref")
    loader = sa.create_engine(my_url, connect_args={"local_infile": True})
    with loader.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE tgt (crm_id VARCHAR(20) PRIMARY KEY, shop_id BIGINT UNIQUE,"
            " name VARCHAR(100), price NUMERIC(12,2))"
        )
        conn.exec_driver_sql(f"LOAD DATA LOCAL INFILE '{tgt}' INTO TABLE tgt")
    return name, pg_url, my_url


INTEGRATIONS = """\
  direct:
    source: pg.src
    target: my.tgt
    key: shop_id
    compare: [name, price]
    reconcile: {max_mismatch_rate: 1%}
  crosswalk:
    source: pg.src
    target: my.tgt
    key:
      source: shop_id
      target: crm_id
      crosswalk: {dataset: pg.xref, source: shop_id, target: crm_id}
    compare: [name, price]
    reconcile: {max_mismatch_rate: 1%}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=2, help="direct + crosswalk runs")
    args = parser.parse_args()
    print(f"load average: {load_average()}", flush=True)
    truth = expected(args.rows)
    runs: dict[str, list[MeasuredRun]] = {"direct": [], "crosswalk": []}
    wrong: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        name, pg_url, my_url = setup(args.rows, tmp)
        print(f"set-up: {args.rows:,} rows in {time.monotonic() - started:.1f} s", flush=True)
        try:
            config = monitor_file(Path(tmp), {"pg": pg_url, "my": my_url}, INTEGRATIONS)
            for _ in range(args.pairs):
                for which in runs:
                    runs[which].append(dxq_run(config, [which]))
                    metrics = runs[which][-1].checks()[0]["metrics"]
                    found = {k: metrics.get(k) for k in truth[which]}
                    if found != truth[which]:
                        wrong.append(f"{which}: counted {found}, expected {truth[which]}")
        finally:
            drop_databases(name)
    print("| rows | run | wall (best) | x direct | peak RSS | engine |")
    print("|---|---|---|---|---|---|")
    floor = min(r.wall_s for r in runs["direct"])
    for which, measured in runs.items():
        best = min(r.wall_s for r in measured)
        rss = max(r.peak_rss_mb for r in measured)
        engine = measured[-1].checks()[0]["metrics"].get("engine")
        print(
            f"| {args.rows:,} | {which} | {best:.1f} s | {best / floor:.2f} | {rss:.0f} MB "
            f"| {engine} |"
        )
    print(f"load average: {load_average()}")
    for line in wrong:
        print("WRONG:", line)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())

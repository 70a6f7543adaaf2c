"""Benchmark: a TPC-H-like `lineitem` (composite key (l_orderkey, l_linenumber), 12 compared
columns) in PostgreSQL and a drifted copy in MariaDB (benchmarks/tpch_data.py; loaded once
into databases of fixed names and reused), each `dxq run` measured as a whole process
(benchmarks/dxq_process.py) against lower bounds measured in the same run:

- reconcile PostgreSQL vs MariaDB, against one checksum pass over both tables;
- an 8-expectation suite of fused types on the MariaDB side, fused and through GX (the same
  suite with `"dxq_engine": "gx"`), against one scan computing all eight unexpected counts;
- peak RSS of each run, and the time outside its checks (start-up, probes, store).

Targets (issue 15): reconcile and the fused suite <= 1.5x their bound, RSS < 150 MB (GX's
run is the reference, held to neither). Exits 1 when a target is missed or a count is wrong.

    .venv/bin/python benchmarks/tpch.py [--rows 6000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tpch_data as data
from dxq_process import (
    TARGET_RATIO,
    TARGET_RSS_MB,
    MeasuredRun,
    checksum_floor,
    dxq_run,
    load_average,
    monitor_file,
)

from datasources.connection import read_only
from datasources.dataset import SqlSystem

CATEGORIES = {  # reconcile's comparison category of each column
    "l_orderkey": "integer", "l_linenumber": "integer", "l_partkey": "integer",
    "l_suppkey": "integer", "l_quantity": "number", "l_extendedprice": "number",
    "l_discount": "number", "l_tax": "number", "l_returnflag": "text", "l_linestatus": "text",
    "l_shipdate": "date", "l_commitdate": "date", "l_receiptdate": "date", "l_shipmode": "text",
}  # fmt: skip
MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]
SUITE = [  # (expectation, the SQL condition of an unexpected row: the one-scan bound)
    (("not_be_null", {"column": "l_comment"}), "l_comment IS NULL"),
    (("not_be_null", {"column": "l_shipmode"}), "l_shipmode IS NULL"),
    (
        ("be_between", {"column": "l_quantity", "min_value": 1, "max_value": 50}),
        "l_quantity < 1 OR l_quantity > 50",
    ),
    (
        ("be_between", {"column": "l_discount", "min_value": 0, "max_value": 0.1}),
        "l_discount < 0 OR l_discount > 0.1",
    ),
    (
        ("be_between", {"column": "l_extendedprice", "min_value": 0, "strict_min": True}),
        "l_extendedprice <= 0",
    ),
    (
        ("be_in_set", {"column": "l_returnflag", "value_set": ["A", "N", "R"]}),
        "l_returnflag NOT IN ('A', 'N', 'R')",
    ),
    (
        ("be_in_set", {"column": "l_shipmode", "value_set": MODES}),
        "l_shipmode NOT IN ({})".format(", ".join(f"'{m}'" for m in MODES)),
    ),
    (
        ("pair_a_to_be_greater_than_b", {"column_A": "l_receiptdate", "column_B": "l_shipdate"}),
        "NOT (l_receiptdate > l_shipdate)",
    ),
]


def suite_document(engine: str) -> dict[str, Any]:
    expectations = []
    for (kind, kwargs), _ in SUITE:
        name = kind.replace("pair_", "column_pair_values_") if kind.startswith("pair_") else kind
        prefix = "expect_" if kind.startswith("pair_") else "expect_column_values_to_"
        expectations.append({"type": prefix + name, "kwargs": kwargs})
    meta = {"dxq_engine": "gx"} if engine == "gx" else {}
    return {"name": f"lineitem_{engine}", "meta": meta, "expectations": expectations}


def integrations_yaml(directory: Path) -> str:
    key = f"[{', '.join(data.KEY)}]"
    lines = [
        "  reconcile:",
        "    source: pg.lineitem",
        "    target: my.lineitem",
        f"    key: {key}",
        f"    compare: [{', '.join(data.COMPARED)}]",
        "    reconcile: {max_mismatch_rate: 1%, sample: 50}",
    ]
    for engine in ("fused", "gx"):
        path = directory / f"lineitem_{engine}.json"
        path.write_text(json.dumps(suite_document(engine)), encoding="utf-8")
        lines += [
            f"  suite-{engine}:",
            "    source: pg.lineitem",
            "    target: my.lineitem",
            f"    key: {key}",
            f"    suites: [{path.name}]",
        ]
    return "\n".join(lines) + "\n"


def one_scan(system: SqlSystem) -> tuple[float, list[int]]:
    """The suite's lower bound: one query counting every expectation's unexpected rows."""
    sums = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for _, cond in SUITE)
    started = time.perf_counter()
    with read_only(system) as conn:
        counts = conn.execute(sa.text(f"SELECT {sums} FROM lineitem")).one()
    return time.perf_counter() - started, [int(n or 0) for n in counts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of bounds and runs")
    parser.add_argument(
        "--only", choices=["reconcile", "suites"], help="measure one part (default: both)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    pg_url, my_url, built = data.ensure(args.rows)
    how = "built" if built else "reused"
    print(f"{how} {data.database_name(args.rows)} in {time.monotonic() - started:.0f} s")
    expected = data.expected_counts(pg_url)
    pg, my = SqlSystem("pg", pg_url), SqlSystem("my", my_url)
    columns = [(name, CATEGORIES[name]) for name in (*data.KEY, *data.COMPARED)]
    sides = [(pg, "lineitem", columns), (my, "lineitem", columns)]
    rows: list[tuple[str, float, MeasuredRun]] = []
    wrong: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = monitor_file(Path(tmp), {"pg": pg_url, "my": my_url}, integrations_yaml(Path(tmp)))
        for _ in range(args.repeat):
            print(f"load average: {load_average()}", flush=True)
            first = len(rows)
            if args.only != "suites":
                floor = checksum_floor(sides)
                run = dxq_run(config, ["reconcile"])
                rows.append(("reconcile", floor, run))
                wrong += _reconcile_wrong(run, expected)
            if args.only != "reconcile":
                floor, counts = one_scan(my)
                for engine in ("fused", "gx"):
                    run = dxq_run(config, [f"suite-{engine}"])
                    rows.append((f"suite {engine}", floor, run))
                    wrong += _suite_wrong(run, counts, engine)
            _print(args.rows, rows[first:])
    print("all rounds:")
    _print(args.rows, rows)
    return _verdict(args.rows, rows, wrong)


def _reconcile_wrong(run: MeasuredRun, expected: dict[str, int]) -> list[str]:
    (check,) = run.checks()
    found = {k: check["metrics"].get(k) for k in expected}
    return [] if found == expected else [f"reconcile counted {found}, expected {expected}"]


def _suite_wrong(run: MeasuredRun, counts: list[int], engine: str) -> list[str]:
    checks = run.checks()
    found = [c["metrics"].get("unexpected_count", 0) for c in checks]
    engines = {c["metrics"].get("engine", "gx") for c in checks}
    problems = [] if found == counts else [f"suite {engine}: counted {found}, expected {counts}"]
    if engines != {engine}:
        problems.append(f"suite {engine}: ran on {sorted(engines)}")
    return problems


def _print(n_rows: int, rows: list[tuple[str, float, MeasuredRun]]) -> None:
    print(
        "| rows | key | run | lower bound | dxq (whole process) | ratio | outside checks "
        "| process CPU | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for what, floor, run in rows:
        print(
            f"| {n_rows / 1e6:g}M | composite | {what} | {floor:.2f} s | {run.wall_s:.2f} s | "
            f"{run.wall_s / floor:.2f}x | {run.overhead_s:.2f} s | {run.cpu_s:.2f} s | "
            f"{run.peak_rss_mb:.0f} MB |",
            flush=True,
        )


def _verdict(n_rows: int, rows: list[tuple[str, float, MeasuredRun]], wrong: list[str]) -> int:
    for problem in wrong:
        print(f"WRONG: {problem}")
    missed = []
    for what, floor, run in rows:
        if what == "suite gx":  # the reference, measured for comparison only
            continue
        if run.wall_s / floor > TARGET_RATIO:
            missed.append(f"{what} {run.wall_s / floor:.2f}x > {TARGET_RATIO}x")
        if run.peak_rss_mb >= TARGET_RSS_MB:
            missed.append(f"{what} RSS {run.peak_rss_mb:.0f} MB >= {TARGET_RSS_MB} MB")
    print(f"missed: {'; '.join(missed)}" if missed else "every target met")
    return 1 if wrong or missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

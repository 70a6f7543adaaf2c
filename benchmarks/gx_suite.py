"""Benchmark: a 10-expectation GX suite on N rows in PostgreSQL, run through dxq's `run_suite`
and through GX's own `ValidationDefinition.run`; warm, best of 3, with the ratio (target <= 1.15).

    .venv/bin/python benchmarks/gx_suite.py --rows 1000000

Builds its table in a temporary schema of the `postgres` database at 127.0.0.1 and drops it.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

SUITE: dict[str, Any] = {
    "name": "benchmark",
    "meta": {},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sku"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "sku"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "price", "min_value": 0, "max_value": 5000},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "status", "value_set": ["active", "retired"]},
        },
        {
            "type": "expect_column_value_lengths_to_be_between",
            "kwargs": {"column": "sku", "min_value": 3, "max_value": 12},
        },
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": "price", "max_value": 1e6},
        },
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "price", "min_value": 0}},
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "sku", "regex": "^S-[0-9]+$"},
        },
    ],
}


def build_table(engine: sa.Engine, schema: str, rows: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            sa.text(
                f"CREATE TABLE \"{schema}\".products AS SELECT i AS id, 'S-' || i AS sku, "
                "CASE WHEN i % 1000 = 0 THEN NULL ELSE 'name ' || i END AS name, "
                "(i % 20000)::numeric(12, 2) / 2 AS price, "
                "CASE WHEN i % 997 = 0 THEN 'deleted' WHEN i % 3 = 0 THEN 'active' "
                "ELSE 'retired' END AS status FROM generate_series(1, :n) AS i"
            ),
            {"n": rows},
        )
        conn.exec_driver_sql(f'ALTER TABLE "{schema}".products ADD PRIMARY KEY (id)')
        conn.exec_driver_sql(f'ANALYZE "{schema}".products')


def best_of(runs: int, fn: Callable[[], object]) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from checks.gx.adapter import run_suite
    from checks.result import Severity
    from checks.spec import SuiteSpec
    from datasources.dataset import Dataset, SqlSystem

    schema = f"dxq_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(ADMIN_URL)
    try:
        started = time.perf_counter()
        build_table(engine, schema, args.rows)
        print(f"built {args.rows:,} rows in {time.perf_counter() - started:.1f} s")

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_postgres("plain", connection_string=ADMIN_URL)
        asset = source.add_table_asset("products", table_name="products", schema_name=schema)
        suite = context.suites.add(ExpectationSuite(**json.loads(json.dumps(SUITE))))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(
                name="plain", data=asset.add_batch_definition_whole_table("all"), suite=suite
            )
        )
        plain = best_of(args.runs, lambda: validation.run())

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "benchmark.json"
            path.write_text(json.dumps(SUITE))
            spec = SuiteSpec(
                path=path,
                label="benchmark.json",
                dataset=Dataset(SqlSystem("bench", ADMIN_URL), table=f"{schema}.products"),
                severity=Severity.CRITICAL,
                key_columns=("id",),
            )
            outcomes = [r.outcome.value for r in run_suite(spec)]
            dxq = best_of(args.runs, lambda: run_suite(spec))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"outcomes: {', '.join(outcomes)}")
        print(f"GX ValidationDefinition.run (SUMMARY): {plain:.3f} s")
        print(f"dxq run_suite:                         {dxq:.3f} s")
        print(f"ratio: {dxq / plain:.2f}x (target <= 1.15x)")
        print(f"peak RSS: {peak_mb:.0f} MB")
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


if __name__ == "__main__":
    main()

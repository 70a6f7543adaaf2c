"""Each expectation result carries GX's own rendered description with its arguments, so the
dashboard can say "sku values must be unique." without importing GX."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from checks.gx.adapter import run_suite
from checks.result import Severity
from checks.spec import SuiteSpec
from datasources.dataset import Dataset, SqlSystem

SUITES = Path(__file__).parent / "suites"
WORDS = {
    "expect_column_values_to_not_be_null(name)": "name values must never be null.",
    "expect_column_values_to_be_between(price)": (
        "price values must be greater than or equal to 0 and less than or equal to 100."
    ),
    "expect_column_values_to_be_unique(sku)": "sku values must be unique.",
    "expect_column_values_to_be_in_set(status)": (
        "status values must belong to this set: active retired."
    ),
    "expect_table_row_count_to_be_between()": (
        "Must have greater than or equal to 1 and less than or equal to 1000 rows."
    ),
    "expect_column_max_to_be_between(id)": "id maximum value must be less than or equal to 1000.",
}


def test_every_expectation_result_carries_gx_words(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as c:
        c.execute(
            sa.text(
                "create table words_t (id int, sku text, name text, price numeric, status text)"
            )
        )
        c.execute(sa.text("insert into words_t values (1, 'A', 'anvil', 10, 'active')"))
    engine.dispose()
    spec = SuiteSpec(
        path=SUITES / "products.json",
        label="suites/products.json",
        dataset=Dataset(SqlSystem("shop", sqlite_url), table="words_t"),
        severity=Severity.ERROR,
        key_columns=("id",),
    )
    results = {r.check.removeprefix("suites/products.json: "): r for r in run_suite(spec)}
    assert {name: r.metrics.get("description") for name, r in results.items()} == WORDS

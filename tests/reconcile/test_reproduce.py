"""The queries a reconcile result offers really select the sampled differing rows, each on its
own side: a key missing in the target is found by the source query, and the other way round."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from checks.reconcile import reconcile
from checks.result import Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.dataset import Dataset, SqlSystem
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
COLUMNS = [("id", "key_int"), ("amount", "decimal")]


def _run(dataset: Dataset, query: str) -> set[int]:
    assert isinstance(dataset.system, SqlSystem)
    engine = sa.create_engine(dataset.system.url)
    with engine.connect() as conn:
        found = {int(row.id) for row in conn.execute(sa.text(query))}
    engine.dispose()
    return found


@pytest.mark.parametrize("pair", [("pg", "sqlite"), ("sqlite", "sqlite")])
def test_each_side_query_selects_its_differing_rows(
    pair: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    urls = {
        "pg": request.getfixturevalue("pg_url"),
        "sqlite": request.getfixturevalue("sqlite_url"),
    }
    source = load(urls[pair[0]], COLUMNS, [(1, "10.00"), (2, "20.00"), (3, "30.00")], key=["id"])
    target = load(urls[pair[1]], COLUMNS, [(1, "10.00"), (3, "31.00"), (4, "40.00")], key=["id"])
    spec = ReconcileSpec(
        source, target, ("id",), ("id",), (FieldSpec("amount", "amount"),), Severity.ERROR
    )
    result = reconcile(spec, NOW)
    assert (result.metrics["missing_in_target"], result.metrics["missing_in_source"]) == (1, 1)
    queries = result.metrics["queries"]
    assert _run(source, queries["source"]) == {2, 3}  # 2 is missing in the target, 3 changed
    assert _run(target, queries["target"]) == {3, 4}  # 4 is missing in the source
    assert result.query == queries["target"]


def test_no_query_when_the_key_is_masked(sqlite_url: str) -> None:
    columns = [("email", "key_text"), ("name", "text")]
    source = load(sqlite_url, columns, [("a@x.org", "Ann"), ("b@x.org", "Bo")], key=["email"])
    target = load(sqlite_url, columns, [("a@x.org", "Ann")], key=["email"])
    spec = ReconcileSpec(
        source,
        target,
        ("email",),
        ("email",),
        (FieldSpec("email", "email", pii=True), FieldSpec("name", "name")),
        Severity.ERROR,
    )
    result = reconcile(spec, NOW)
    assert result.metrics["missing_in_target"] == 1
    assert "queries" not in result.metrics and result.query is None
    assert "b@x.org" not in str(result.to_json())

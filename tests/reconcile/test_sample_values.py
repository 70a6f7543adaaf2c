"""A reconcile sample shows the whole record: every compared field on both sides (the missing
side empty), the differing fields named, and numbers as the systems hold them (177.1, not
177.100000) — on each engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checks.reconcile import reconcile
from checks.result import Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
COLUMNS = [("id", "key_int"), ("amount", "decimal"), ("status", "text"), ("email", "text")]
SOURCE = [
    (1, "10.00", "open", "a@x.org"),
    (2, "177.10", "paid", "b@x.org"),
    (3, "96.82", "paid", None),
]
TARGET = [
    (1, "10.00", "open", "a@x.org"),
    (3, "96.80", "paid", None),
    (4, "5.00", "void", "d@x.org"),
]


def _spec(source_url: str, target_url: str, sample: int = 50) -> ReconcileSpec:
    source = load(source_url, COLUMNS, SOURCE, key=["id"])
    target = load(target_url, COLUMNS, TARGET, key=["id"])
    fields = (
        FieldSpec("amount", "amount"),
        FieldSpec("status", "status"),
        FieldSpec("email", "email", pii=True),
    )
    return ReconcileSpec(source, target, ("id",), ("id",), fields, Severity.ERROR, sample=sample)


@pytest.mark.parametrize("pair", [("pg", "sqlite"), ("sqlite", "sqlite"), ("pg", "pg")])
def test_the_sample_holds_every_field_of_both_sides(
    pair: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    urls = {
        "pg": request.getfixturevalue("pg_url"),
        "sqlite": request.getfixturevalue("sqlite_url"),
    }
    result = reconcile(_spec(urls[pair[0]], urls[pair[1]]), NOW)
    by_id = {row["key"]["id"]: row for row in result.sample}
    assert set(by_id) == {2, 3, 4}
    missing, changed, extra = by_id[2], by_id[3], by_id[4]
    assert missing["kind"] == "missing_in_target"
    assert missing["values"]["amount"] == ["177.1", None]
    assert missing["values"]["status"] == ["paid", None]
    assert missing["values"]["email"][0].startswith("***")  # pii stays masked
    assert changed["fields"] == {"amount": ["96.82", "96.8"]}  # only what differs
    assert changed["values"]["status"] == ["paid", "paid"]  # and what agrees, too
    assert changed["values"]["email"] == [None, None]
    assert extra["values"]["amount"] == [None, "5"]
    assert extra["values"]["status"] == [None, "void"]


def test_values_are_kept_only_for_the_sampled_records(sqlite_url: str) -> None:
    result = reconcile(_spec(sqlite_url, sqlite_url, sample=1), NOW)
    assert len(result.sample) == 1 and "values" in result.sample[0]
    assert len(result.mismatched_keys) == 3

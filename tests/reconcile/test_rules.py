"""Fixed cases: every matching, normalisation and tolerance rule, on every engine pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from checks.reconcile import reconcile
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
PAIRS = [
    ("pg", "pg"),
    ("mariadb", "mariadb"),
    ("sqlite", "sqlite"),
    ("pg", "mariadb"),
    ("pg", "sqlite"),
    ("mariadb", "sqlite"),
    ("mariadb", "pg"),
    ("file", "pg"),
    ("sqlite", "file"),
    ("mariadb", "file"),
]
SOURCE_COLUMNS = [
    ("region", "key_text"),
    ("code", "key_text"),
    ("name", "text"),
    ("price", "decimal"),
    ("qty", "float"),
    ("status", "text"),
    ("note", "text"),
    ("ts", "ts"),
    ("updated", "ts"),
]
TARGET_COLUMNS = [
    ("country", "key_text"),
    ("sku", "key_text"),
    ("label", "text"),
    ("unit_price", "float"),
    ("quantity", "decimal"),
    ("state", "text"),
    ("note", "text"),
    ("ts", "tstz"),
    ("changed_at", "tstz"),
]
FIELDS = (
    FieldSpec("name", "label", normalize=("trim", "collapse_whitespace", "lower")),
    FieldSpec("price", "unit_price", tolerance=0.01),
    FieldSpec("qty", "quantity", relative_tolerance=0.05),
    FieldSpec("status", "state", map={"active": "enabled", "retired": "disabled"}),
    FieldSpec("note", "note", pii=True),
    FieldSpec("ts", "ts"),
)


def _url(kind: str, request: pytest.FixtureRequest) -> str:
    return {"pg": "pg_url", "mariadb": "mariadb_url", "sqlite": "sqlite_url"}.get(kind, kind)


def _where(kind: str, request: pytest.FixtureRequest) -> str:
    if kind == "file":
        return "file"
    return str(request.getfixturevalue(_url(kind, request)))


def _rows(zone_offset: timedelta) -> tuple[list[list[object]], list[list[object]]]:
    """Source rows (naive local time at `zone_offset`) and target rows (aware UTC)."""
    t0 = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    old = datetime(2026, 11, 1, tzinfo=UTC)
    late = NOW - timedelta(minutes=1)

    def local(moment: datetime) -> datetime:
        return (moment + zone_offset).replace(tzinfo=None)

    src = [
        ["EU", "a1", "Chair", Decimal("9.99"), 2.0, "enabled", "x", local(t0), local(old)],
        ["EU", "A1", "Chair", Decimal("9.99"), 2.0, "enabled", "x", local(t0), local(old)],
        ["EU", "ü-1", "  Big   Table ", Decimal("5"), 1.0, "x", None, local(t0), local(old)],
        ["US", "b2", "b", Decimal("10.00"), 100.0, "x", "n", local(t0), local(old)],
        ["US", "b3", "b", Decimal("10.00"), 1.0, "x", "n", local(t0), local(old)],
        ["US", "b4", "b", Decimal("1"), 1.0, "active", "n", local(t0), local(old)],
        ["US", "b5", "b", Decimal("1"), 1.0, "x", None, local(t0), local(old)],
        ["US", "b7", "b", Decimal("1"), 1.0, "x", "n", local(t0), local(old)],
        ["US", "b8", "in flight", Decimal("1"), 1.0, "x", "n", local(t0), local(late)],
        ["US", "b9", "b", Decimal("1"), 1.0, "retired", "n", local(t0), local(old)],
    ]
    tgt = [
        ["EU", "a1", "chair", 9.99, Decimal("2"), "enabled", "x", t0, old],
        ["EU", "ü-1", "big table", 5.0, Decimal("1"), "x", None, t0, old],
        ["US", "b2", "b", 10.005, Decimal("104.9"), "x", "n", t0, old],
        ["US", "b3", "b", 10.02, Decimal("1"), "x", "n", t0, old],
        ["US", "b4", "b", 1.0, Decimal("1"), "enabled", "n", t0, old],
        ["US", "b5", "b", 1.0, Decimal("1"), "x", "", t0, old],
        ["US", "b6", "b", 1.0, Decimal("1"), "x", "n", t0, old],
        ["US", "b7", "b", 1.0, Decimal("1"), "x", "n", t0 + timedelta(microseconds=1), old],
        ["US", "b8", "b", 1.0, Decimal("1"), "x", "n", t0, old],
        ["US", "b9", "b", 1.0, Decimal("1"), "enabled", "n", t0, old],
    ]
    return src, tgt


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_every_rule_gives_the_exact_counts(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # MariaDB here has no time zone tables, so its naive timestamps are UTC.
    zone, offset = (
        ("UTC", timedelta(0)) if source_kind == "mariadb" else ("Europe/Paris", timedelta(hours=2))
    )
    src_rows, tgt_rows = _rows(offset)
    source = load(
        _where(source_kind, request),
        SOURCE_COLUMNS,
        src_rows,
        key=["region", "code"],
        zone=zone,
        tmp=tmp_path,
    )
    target = load(
        _where(target_kind, request), TARGET_COLUMNS, tgt_rows, key=["country", "sku"], tmp=tmp_path
    )
    spec = ReconcileSpec(
        source,
        target,
        ("region", "code"),
        ("country", "sku"),
        FIELDS,
        Severity.CRITICAL,
        max_mismatch_rate=0.005,
        grace_s=900,
        source_updated_column="updated",
        target_updated_column="changed_at",
        sample=50,
    )
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    m = result.metrics
    assert (m["source_rows"], m["target_rows"], m["compared"]) == (9, 9, 10)
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == (1, 1, 4)
    assert m["changed_by_field"] == {
        "label": 0,
        "unit_price": 1,
        "quantity": 0,
        "state": 1,
        "note": 1,
        "ts": 1,
    }
    assert m["mismatch_rate"] == pytest.approx(0.6)
    assert result.observed == "60% (6 of 10 keys)"
    assert result.expected == "at most 0.5%"
    kinds = {(tuple(s["key"].values()), s["kind"]) for s in result.sample}
    assert kinds == {
        (("EU", "A1"), "missing_in_target"),
        (("US", "b6"), "missing_in_source"),
        (("US", "b3"), "changed"),
        (("US", "b5"), "changed"),
        (("US", "b7"), "changed"),
        (("US", "b9"), "changed"),
    }
    by_key = {tuple(s["key"].values()): s for s in result.sample}
    assert by_key[("US", "b3")]["fields"] == {"unit_price": ["10", "10.02"]}  # as held
    assert by_key[("US", "b9")]["fields"] == {"state": ["disabled", "enabled"]}
    note = by_key[("US", "b5")]["fields"]["note"]
    assert note[0] is None and note[1].startswith("***"), "pii masked, NULL kept"
    assert len(result.mismatched_keys) == 6
    if target_kind != "file":
        assert result.query is not None and "b3" in result.query


@pytest.mark.parametrize(("source_kind", "target_kind"), [("pg", "mariadb"), ("sqlite", "sqlite")])
def test_equal_data_passes_and_warning_severity_warns(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    rows = [[i, f"name {i}", Decimal(i) / 3] for i in range(200)]
    cols = [("id", "key_int"), ("name", "text"), ("price", "decimal")]
    source = load(_where(source_kind, request), cols, rows, key=["id"], tmp=tmp_path)
    target = load(_where(target_kind, request), cols, rows[:-1], key=["id"], tmp=tmp_path)
    fields = (FieldSpec("name", "name"), FieldSpec("price", "price"))
    same = ReconcileSpec(source, source, ("id",), ("id",), fields, Severity.ERROR)
    result = reconcile(same, NOW)
    assert result.outcome is Outcome.PASSED
    assert result.metrics["compared"] == 200 and result.metrics["mismatch_rate"] == 0
    warn = ReconcileSpec(source, target, ("id",), ("id",), fields, Severity.WARNING)
    result = reconcile(warn, NOW)
    assert result.outcome is Outcome.WARNED
    assert result.metrics["missing_in_target"] == 1
    assert result.observed == "0.5% (1 of 200 keys)"
    loose = ReconcileSpec(
        source, target, ("id",), ("id",), fields, Severity.ERROR, max_mismatch_rate=0.005
    )
    assert reconcile(loose, NOW).outcome is Outcome.PASSED

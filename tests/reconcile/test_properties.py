"""Property tests: random tables with injected differences on two engines give exactly the
counts computed in plain Python. Buckets are made tiny so equal and differing buckets, and the
stream-everything path, all occur."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.reconcile import buckets, checksum_engine, reconcile, sql_side
from checks.reconcile.canonical_form import normalize
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
EXAMPLES = 30
SRC_COLS = [
    ("g", "key_text"),
    ("n", "key_int"),
    ("label", "text"),
    ("amount", "decimal"),
    ("at", "tstz"),
]
TGT_COLS = [
    ("grp", "key_text"),
    ("num", "key_int"),
    ("label", "text"),
    ("amount", "float"),
    ("at", "tstz"),
]
FIELDS = (FieldSpec("label", "label"), FieldSpec("amount", "amount"), FieldSpec("at", "at"))
ran: dict[str, int] = {}

texts = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["a", "A", "a ", "ß", "Ω", "é", "e\u0301", "日本"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6),
)
amounts = st.one_of(
    st.none(),
    st.integers(-(10**9), 10**9).map(lambda i: Decimal(i).scaleb(-4)),
)
stamps = st.one_of(
    st.none(),
    st.integers(0, 10**15).map(
        lambda us: datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    ),
)
keys = st.tuples(
    st.sampled_from(["eu", "EU", "Eu", "ü", "u", "", "zz"]),
    st.one_of(st.integers(-5, 5), st.integers(-(10**12), 10**12)),  # skew and gaps
)
record = st.tuples(texts, amounts, stamps)


dense_keys = st.tuples(st.just("k"), st.one_of(st.integers(0, 60), st.integers(-(10**6), 10**6)))
# keyed (n, g): range buckets by n, hash buckets when n has few values or clusters in a bucket
first_int_keys = st.tuples(st.sampled_from(["eu", "EU", "ü", ""]), st.integers(-5, 60))


@st.composite
def tables(
    draw: st.DrawFn, keys: Any = keys, record: Any = record
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    source = draw(st.dictionaries(keys, record, max_size=40))
    target = dict(source)
    for key in list(source):
        action = draw(st.sampled_from(["keep", "keep", "drop", "change"]))
        if action == "drop":
            del target[key]
        elif action == "change":
            old = list(target[key])
            index = draw(st.integers(0, 2))
            old[index] = draw([texts, amounts, stamps][index])
            target[key] = tuple(old)
    target.update(draw(st.dictionaries(keys, record, max_size=8)))
    return source, target


def _truth(source: dict[Any, Any], target: dict[Any, Any]) -> dict[str, Any]:
    changed = [k for k in source.keys() & target.keys() if source[k] != target[k]]
    by_field = {
        name: sum(1 for k in changed if source[k][i] != target[k][i])
        for i, name in enumerate(["label", "amount", "at"])
    }
    return {
        "source_rows": len(source),
        "target_rows": len(target),
        "compared": len(source.keys() | target.keys()),
        "missing_in_target": len(source.keys() - target.keys()),
        "missing_in_source": len(target.keys() - source.keys()),
        "changed": len(changed),
        "changed_by_field": by_field,
    }


def _rows(data: dict[Any, Any], floats: bool) -> list[list[Any]]:
    return [
        [g, n, label, (float(amount) if floats and amount is not None else amount), at]
        for (g, n), (label, amount, at) in data.items()
    ]


PAIRS = [
    ("pg_url", "mariadb_url", "composite"),
    ("pg_url", "sqlite_url", "composite"),
    ("mariadb_url", "sqlite_url", "composite"),
    ("file", "pg_url", "composite"),
    ("pg_url", "pg_url", "composite"),
    ("mariadb_url", "mariadb_url", "composite"),
    ("pg_url", "mariadb_url", "integer"),
    ("sqlite_url", "mariadb_url", "integer"),
    ("pg_url", "mariadb_url", "integer-first"),
]


@pytest.mark.parametrize(("source_kind", "target_kind", "key_shape"), PAIRS)
def test_random_tables_give_exact_counts(
    source_kind: str,
    target_kind: str,
    key_shape: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """Composite text+integer keys (hash buckets), one integer key (range buckets when
    dense, hash buckets when sparse), and a composite key whose first column is an integer
    (range buckets by it, hash buckets when its values are too few or a bucket too full)."""
    single = key_shape == "integer"
    drawn = {"integer": dense_keys, "integer-first": first_int_keys}.get(key_shape, keys)
    urls = {k: request.getfixturevalue(k) for k in {source_kind, target_kind} - {"file"}}
    if "sqlite_url" in urls:
        urls["sqlite_url"] = f"sqlite:///{tmp_path}/prop.db"
    urls["file"] = "file"
    pair = f"{source_kind}->{target_kind} ({key_shape} key)"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(tables(drawn), st.sampled_from([1, 3, 10_000]))
    def check(data: tuple[dict[Any, Any], dict[Any, Any]], listed: int) -> None:
        ran[pair] = ran.get(pair, 0) + 1
        source_data, target_data = data
        source = load(
            urls[source_kind], SRC_COLS, _rows(source_data, False), key=["g", "n"], tmp=tmp_path
        )
        target = load(
            urls[target_kind], TGT_COLS, _rows(target_data, True), key=["grp", "num"], tmp=tmp_path
        )
        s_key, t_key = (("n",), ("num",)) if single else (("g", "n"), ("grp", "num"))
        if key_shape == "integer-first":
            s_key, t_key = ("n", "g"), ("num", "grp")
        spec = ReconcileSpec(source, target, s_key, t_key, FIELDS, Severity.ERROR, sample=5)
        with (
            mock.patch.object(buckets, "BUCKET_ROWS", 2),
            mock.patch.object(buckets, "MAX_LISTED", listed),
            mock.patch.object(sql_side, "SPANS_PER_QUERY", 2),
            mock.patch.object(checksum_engine, "MAX_RANGED_ROWS", 3),
        ):
            result = reconcile(spec, NOW)
        assert result.outcome is not Outcome.ERROR, result.reason
        truth = _truth(source_data, target_data)
        got = {k: result.metrics[k] for k in truth}
        assert got == truth
        assert len(result.mismatched_keys) == (
            truth["missing_in_target"] + truth["missing_in_source"] + truth["changed"]
        )

    check()
    assert ran[pair] >= EXAMPLES // 2
    print(f"\n{pair}: {ran[pair]} generated cases")


RULED = (
    FieldSpec("label", "label", normalize=("trim", "collapse_whitespace", "lower"), map={"a": "ß"}),
    FieldSpec("amount", "amount", tolerance=0.01),
    FieldSpec("at", "at"),
)
GRACE_S = 3600
ruled_texts = st.one_of(texts, st.sampled_from([" A ", "a", "ß", "A\t b", "a b", "Ä", "ä"]))
near_cutoff = st.integers(-(10**6), 10**6).map(
    lambda us: NOW - timedelta(seconds=GRACE_S, microseconds=us)
)  # about half in flight, some exactly at the cutoff (not in flight)
ruled_record = st.tuples(ruled_texts, amounts, st.one_of(st.none(), near_cutoff))


def _ruled_truth(source: dict[Any, Any], target: dict[Any, Any]) -> dict[str, Any]:
    cutoff = NOW - timedelta(seconds=GRACE_S)

    def flying(row: Any) -> bool:
        return row is not None and row[2] is not None and row[2] > cutoff

    keys = [
        k
        for k in source.keys() | target.keys()
        if not any(flying(d.get(k)) for d in (source, target))
    ]
    s = {k: source[k] for k in keys if k in source}
    t = {k: target[k] for k in keys if k in target}

    def label(value: str | None, mapped: bool) -> str | None:
        text = normalize(value, RULED[0].normalize)
        return {"a": "ß"}.get(text, text) if mapped and text is not None else text

    def differs(i: int, a: Any, b: Any) -> bool:
        if i == 0:
            return label(a, True) != label(b, False)
        if i == 1 and a is not None and b is not None:
            return abs(Decimal(a) - Decimal(b)) > Decimal("0.01")
        return bool(a != b)

    both = s.keys() & t.keys()
    changed = [k for k in both if any(differs(i, s[k][i], t[k][i]) for i in range(3))]
    return {
        "compared": len(keys),
        "missing_in_target": len(s.keys() - t.keys()),
        "missing_in_source": len(t.keys() - s.keys()),
        "changed": len(changed),
        "in_flight": len(source.keys() | target.keys()) - len(keys),
    }


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [
        ("pg_url", "mariadb_url"),
        ("file", "pg_url"),
        ("mariadb_url", "sqlite_url"),
        ("pg_url", "pg_url"),
    ],
)
def test_random_tables_with_rules_and_grace(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Normalisers, a map, a tolerance and grace together give the counts of plain Python."""
    urls = {k: request.getfixturevalue(k) for k in {source_kind, target_kind} - {"file"}}
    if "sqlite_url" in urls:
        urls["sqlite_url"] = f"sqlite:///{tmp_path}/ruled.db"
    urls["file"] = "file"
    seen = {"cases": 0, "in_flight": 0}

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(tables(keys, ruled_record), st.sampled_from([1, 10_000]))
    def check(data: tuple[dict[Any, Any], dict[Any, Any]], listed: int) -> None:
        seen["cases"] += 1
        source_data, target_data = data
        source = load(
            urls[source_kind], SRC_COLS, _rows(source_data, False), key=["g", "n"], tmp=tmp_path
        )
        target = load(
            urls[target_kind], TGT_COLS, _rows(target_data, True), key=["grp", "num"], tmp=tmp_path
        )
        spec = ReconcileSpec(
            source,
            target,
            ("g", "n"),
            ("grp", "num"),
            RULED,
            Severity.ERROR,
            sample=5,
            grace_s=GRACE_S,
            source_updated_column="at",
            target_updated_column="at",
        )
        with (
            mock.patch.object(buckets, "BUCKET_ROWS", 2),
            mock.patch.object(buckets, "MAX_LISTED", listed),
        ):
            result = reconcile(spec, NOW)
        assert result.outcome is not Outcome.ERROR, result.reason
        truth = _ruled_truth(source_data, target_data)
        seen["in_flight"] += truth.pop("in_flight")
        assert {k: result.metrics[k] for k in truth} == truth
        assert len(result.metrics["in_flight_keys"]) <= len(source_data.keys() | target_data.keys())

    check()
    assert seen["cases"] >= 8 and seen["in_flight"] > 0

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


@st.composite
def tables(draw: st.DrawFn, keys: Any = keys) -> tuple[dict[Any, Any], dict[Any, Any]]:
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
]


@pytest.mark.parametrize(("source_kind", "target_kind", "key_shape"), PAIRS)
def test_random_tables_give_exact_counts(
    source_kind: str,
    target_kind: str,
    key_shape: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """Composite text+integer keys (hash buckets) and one integer key (range buckets when
    dense, hash buckets when sparse)."""
    single = key_shape == "integer"
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
    @given(tables(dense_keys if single else keys), st.sampled_from([1, 3, 10_000]))
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
        spec = ReconcileSpec(source, target, s_key, t_key, FIELDS, Severity.ERROR, sample=5)
        with (
            mock.patch.object(buckets, "BUCKET_ROWS", 2),
            mock.patch.object(checksum_engine, "MAX_LISTED", listed),
            mock.patch.object(sql_side, "SPANS_PER_QUERY", 2),
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

"""GX is the oracle of the fused suite engine: generated tables (NULLs, empty strings,
boundaries, unicode, decimals, duplicates) and generated suites over the covered expectation
types (with `mostly`) run fused and through GX on SQLite, PostgreSQL and MariaDB; every
result dxq keeps must be equal: outcome, counts, percentages, observed values, failing rows."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from checks.gx.adapter import run_suite as run_with_gx
from checks.result import CheckResult, Outcome, Severity
from checks.spec import SuiteSpec
from checks.suite_run import run_suite
from datasources.dataset import Dataset, SqlSystem

# 100 generated tables with 2-8 expectations each per engine (300 per run); at least 250
# expectations per engine must run fused.
EXAMPLES_PER_ENGINE = 100
CASES_PER_ENGINE = 250

_TEXT = st.sampled_from(["", "a", "ab", "abc", "b1", "Zz", "ü", "日本", "a b", "x" * 12])
_ROW = st.fixed_dictionaries(
    {
        "a": st.none() | st.integers(-3, 12),
        "b": st.none() | st.integers(-3, 12),
        "x": st.none() | st.sampled_from([-1.5, 0.0, 0.25, 2.5, 7.0, 1e6]),
        "s": st.none() | _TEXT,
    }
)
_BOUND = st.none() | st.integers(-2, 10)
_MOSTLY = st.none() | st.sampled_from([0.5, 0.8, 0.95])


def _with_mostly(kwargs: dict[str, Any], mostly: float | None) -> dict[str, Any]:
    return kwargs if mostly is None else {**kwargs, "mostly": mostly}


@st.composite
def _expectation(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "between",
                "not_null",
                "null",
                "in_set",
                "not_in_set",
                "lengths",
                "regex",
                "not_regex",
                "greater",
                "pair_equal",
                "unique",
                "aggregate",
                "row_count",
                "row_count_equal",
                "proportion",
                "exists",
            ]
        )
    )
    mostly = draw(_MOSTLY)
    column = draw(st.sampled_from(["a", "b", "x"]))
    if kind == "between":
        low, high = draw(_BOUND), draw(_BOUND)
        if low is None and high is None:
            high = 5
        kwargs: dict[str, Any] = {"column": column, "min_value": low, "max_value": high}
        kwargs |= {"strict_min": draw(st.booleans()), "strict_max": draw(st.booleans())}
        return {
            "type": "expect_column_values_to_be_between",
            "kwargs": _with_mostly(kwargs, mostly),
        }
    if kind in ("not_null", "null"):
        name = "not_be_null" if kind == "not_null" else "be_null"
        column = draw(st.sampled_from(["a", "b", "x", "s"]))
        return {
            "type": f"expect_column_values_to_{name}",
            "kwargs": _with_mostly({"column": column}, mostly),
        }
    if kind in ("in_set", "not_in_set"):
        values = draw(st.lists(_TEXT, min_size=1, max_size=4, unique=True))
        name = "be_in_set" if kind == "in_set" else "not_be_in_set"
        return {
            "type": f"expect_column_values_to_{name}",
            "kwargs": _with_mostly({"column": "s", "value_set": values}, mostly),
        }
    if kind == "lengths":
        low, high = draw(st.none() | st.integers(0, 3)), draw(st.none() | st.integers(1, 5))
        if low is None and high is None:
            low = 1
        kwargs = {"column": "s", "min_value": low, "max_value": high}
        return {
            "type": "expect_column_value_lengths_to_be_between",
            "kwargs": _with_mostly(kwargs, mostly),
        }
    if kind in ("regex", "not_regex"):
        pattern = draw(st.sampled_from(["^a", "b$", "[0-9]", "^$", "z"]))
        name = "match_regex" if kind == "regex" else "not_match_regex"
        return {
            "type": f"expect_column_values_to_{name}",
            "kwargs": _with_mostly({"column": "s", "regex": pattern}, mostly),
        }
    if kind == "greater":
        kwargs = {"column_A": "a", "column_B": "b", "or_equal": draw(st.booleans())}
        return {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": _with_mostly(kwargs, mostly),
        }
    if kind == "pair_equal":
        return {
            "type": "expect_column_pair_values_to_be_equal",
            "kwargs": _with_mostly({"column_A": "a", "column_B": "b"}, mostly),
        }
    if kind == "unique":
        column = draw(st.sampled_from(["a", "b", "s"]))
        return {
            "type": "expect_column_values_to_be_unique",
            "kwargs": _with_mostly({"column": column}, mostly),
        }
    if kind == "aggregate":
        function = draw(st.sampled_from(["min", "max", "mean", "sum"]))
        low, high = draw(_BOUND), draw(_BOUND)
        if low is None and high is None:
            low = 0
        return {
            "type": f"expect_column_{function}_to_be_between",
            "kwargs": {"column": column, "min_value": low, "max_value": high},
        }
    if kind == "row_count":
        low, high = draw(st.none() | st.integers(0, 8)), draw(st.none() | st.integers(2, 12))
        if low is None and high is None:
            high = 4
        return {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": low, "max_value": high},
        }
    if kind == "row_count_equal":
        return {
            "type": "expect_table_row_count_to_equal",
            "kwargs": {"value": draw(st.integers(0, 8))},
        }
    if kind == "proportion":
        low = draw(st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]))
        return {
            "type": "expect_column_proportion_of_unique_values_to_be_between",
            "kwargs": {"column": draw(st.sampled_from(["a", "s"])), "min_value": low},
        }
    return {
        "type": "expect_column_to_exist",
        "kwargs": {"column": draw(st.sampled_from(["a", "s", "nope"]))},
    }


_CASE = st.tuples(
    st.lists(_ROW, min_size=0, max_size=25),
    st.lists(_expectation(), min_size=2, max_size=8),
)


def _create(url: str, name: str, rows: list[dict[str, Any]]) -> None:
    engine = sa.create_engine(url)
    text = "VARCHAR(40)" if engine.dialect.name != "sqlite" else "TEXT"
    x_type = "DOUBLE PRECISION" if engine.dialect.name == "postgresql" else "DOUBLE"
    if engine.dialect.name == "sqlite":
        x_type = "REAL"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, "
            f"x {x_type}, s {text})"
        )
        if rows:
            conn.execute(
                sa.text(f"INSERT INTO {name} (id, a, b, x, s) VALUES (:id, :a, :b, :x, :s)"),
                [{"id": i + 1, **r} for i, r in enumerate(rows)],
            )
    engine.dispose()


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


def _compare(fused: CheckResult, gx: CheckResult) -> None:
    ran_fused = fused.metrics.get("engine") == "fused"  # else GX ran it on both paths
    fused = replace(fused, metrics={k: v for k, v in fused.metrics.items() if k != "engine"})
    gx = replace(gx, metrics={k: v for k, v in gx.metrics.items() if k != "engine"})
    if "greater than or equal to those in" in str(gx.metrics.get("description")):
        # GX's renderer says "or equal to" whenever `or_equal` is given, even as false; the
        # fused words follow the argument.
        gx = replace(gx, metrics={**gx.metrics, "description": fused.metrics.get("description")})
    assert fused.check == gx.check
    assert fused.outcome == gx.outcome, (fused, gx)
    assert set(fused.metrics) == set(gx.metrics), (fused.metrics, gx.metrics)
    for key in fused.metrics:
        assert _same(fused.metrics[key], gx.metrics[key]), (key, fused.metrics, gx.metrics)
    assert fused.headline == gx.headline
    unexpected = gx.metrics.get("unexpected_count")
    cut_short = False
    if "_pair_" in gx.check and ran_fused:
        # GX's failing-rows query for a pair ignores `ignore_row_if` while its counts honour
        # it (rows with both values missing are not unexpected): the fused engine follows the
        # counts, so compare without those rows. When that query filled its 20 rows with them
        # too, GX's sample is a part of the failing rows, not all of them. (A pair that GX ran
        # on both paths, in a suite it took whole, has GX's sample on both.)
        cut_short = len(gx.sample) == 20
        gx = replace(
            gx, sample=[r for r in gx.sample if any(v is not None for v in r["value"].values())]
        )
    if cut_short:
        as_set = lambda sample: {json.dumps(r, sort_keys=True) for r in sample}  # noqa: E731
        assert as_set(gx.sample) <= as_set(fused.sample), (fused.sample, gx.sample)
        assert len(fused.sample) == min(int(unexpected or 0), 20)
    elif isinstance(unexpected, int) and unexpected <= 20:
        as_text = lambda sample: sorted(json.dumps(r, sort_keys=True) for r in sample)  # noqa: E731
        assert as_text(fused.sample) == as_text(gx.sample), (fused.sample, gx.sample)
    elif isinstance(unexpected, int):  # more failing rows than a sample holds: any 20 each
        assert len(fused.sample) == (0 if gx.outcome is Outcome.PASSED else 20)
        assert len(gx.sample) <= len(fused.sample)
    else:  # aggregates and table expectations have no failing rows
        assert fused.sample == gx.sample == []
    assert (fused.query is None) == (gx.query is None)


def _agree(
    url: str, tmp_path: Path, rows: list[dict[str, Any]], suite: list[dict[str, Any]]
) -> int:
    """Run the suite as dxq runs it (fused where covered) and wholly through GX; compare every
    result. Returns how many results the fused engine gave."""
    name = f"fz_{uuid.uuid4().hex[:10]}"
    _create(url, name, rows)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"name": name, "expectations": suite}), encoding="utf-8")
    dataset = Dataset(SqlSystem("sys", url), table=name)
    spec = SuiteSpec(path, f"{name}.json", dataset, Severity.ERROR, key_columns=("id",))
    by_gx = run_with_gx(spec)
    mixed = run_suite(spec)
    if len(by_gx) != len(suite):
        assert [r.outcome for r in mixed] == [r.outcome for r in by_gx]  # GX refused the suite
        return 0
    assert len(mixed) == len(by_gx)
    for mine, gx in zip(mixed, by_gx, strict=True):
        _compare(mine, gx)
    return sum(1 for r in mixed if r.metrics.get("engine") == "fused")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('fused')}/fused.db"
    return str(
        request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")
    )


@pytest.mark.slow
def test_fused_agrees_with_gx(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("suites")
    compared: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_ENGINE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
        phases=[Phase.explicit, Phase.generate],  # shrinking a GX run takes minutes
    )
    @given(_CASE)
    def case(generated: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        rows, suite = generated
        compared.append(_agree(engine_url, tmp, rows, suite))

    case()
    assert sum(compared) >= CASES_PER_ENGINE  # the fused engine covered what was generated


def test_a_pair_gx_ran_on_both_paths_is_compared_as_gx_gave_it(tmp_path: Path) -> None:
    """Found by the property test on SQLite: GX refuses its part of this suite (a range whose
    bounds are the wrong way round), so it runs the whole suite, the pair expectation included,
    on both paths; both samples then hold the rows with both values missing, and the comparison
    must not drop them from one side only (as it does for a pair the fused engine ran)."""
    rows: list[dict[str, Any]] = [
        {"a": None, "b": None, "x": None, "s": "b1"},
        {"a": None, "b": 8, "x": 2.5, "s": None},
        {"a": None, "b": None, "x": None, "s": "xxxxxxxxxxxx"},
        {"a": 10, "b": 0, "x": 1000000.0, "s": None},
        {"a": -2, "b": None, "x": 7.0, "s": "xxxxxxxxxxxx"},
        {"a": 0, "b": None, "x": None, "s": "ü"},
        {"a": 1, "b": None, "x": None, "s": None},
        {"a": 4, "b": None, "x": 0.0, "s": None},
    ]
    backwards = {"column": "b", "min_value": 4, "max_value": 0, "strict_min": True}
    suite: list[dict[str, Any]] = [
        {"type": "expect_column_sum_to_be_between", "kwargs": {"column": "a", "min_value": 0}},
        {
            "type": "expect_column_values_to_not_be_in_set",
            "kwargs": {"column": "s", "value_set": ["", "ab"], "mostly": 0.8},
        },
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "s", "regex": "[0-9]", "mostly": 0.95},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {**backwards, "strict_max": True, "mostly": 0.95},
        },
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "b", "mostly": 0.5}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "b"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {**backwards, "strict_max": True, "mostly": 0.95},
        },
        {
            "type": "expect_column_pair_values_to_be_equal",
            "kwargs": {"column_A": "a", "column_B": "b", "mostly": 0.5},
        },
    ]
    assert _agree(f"sqlite:///{tmp_path}/pair.db", tmp_path, rows, suite) == 0  # GX ran it all

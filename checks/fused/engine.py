"""Run the fused expectations of one suite on one SQL dataset: one aggregate query for all of
them, GX-shaped results (`ExpectationValidationResult` as plain data, as `checks.suite_result`
reads GX's), and one query for the failing rows of every failing map expectation together.

Returns nothing for an expectation whose result it cannot give exactly as GX would (an
observed value that is not a number): the caller runs those through GX."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators

from checks.fused.plans import KnownRule, RowRule, Rule, ValueRule, plan
from checks.suite_result import SAMPLE_SIZE, sample_row


@dataclass(frozen=True)
class Fused:
    """A covered expectation: its place in the suite and its rule."""

    index: int
    rule: Rule


@dataclass(frozen=True)
class FusedResult:
    """One expectation's GX-shaped result, its failing rows and the query that selects them."""

    gx_result: dict[str, Any]
    sample: list[dict[str, Any]] | None = None
    query: str | None = None


def aggregate_select(source: sa.FromClause, fused: Sequence[Fused]) -> sa.Select[Any]:
    """The one query: the row count, then per map rule its missing and unexpected counts, per
    aggregate rule its observed value, labelled by position."""
    columns: list[sa.ColumnElement[Any]] = [sa.func.count().label("n")]
    for item in fused:
        rule = item.rule
        if isinstance(rule, RowRule):
            counted = _unexpected_row(rule)
            columns.append(_count_where(counted).label(f"u{item.index}"))
            if rule.missing is not None:
                columns.append(_count_where(rule.missing).label(f"m{item.index}"))
        elif isinstance(rule, ValueRule):
            columns.append(rule.observed.label(f"v{item.index}"))
    return sa.select(*columns).select_from(source)


def run_fused(
    connection: sa.Connection,
    source: sa.FromClause,
    fused: Sequence[Fused],
    key_columns: Sequence[str],
) -> dict[int, FusedResult]:
    """Every fused expectation's result by its position in the suite."""
    row = connection.execute(aggregate_select(source, fused)).mappings().one()
    total = int(row["n"])
    results: dict[int, FusedResult] = {}
    failing: list[tuple[int, RowRule]] = []
    for item in fused:
        rule = item.rule
        if isinstance(rule, KnownRule):
            results[item.index] = FusedResult({"success": rule.success, "result": {}})
        elif isinstance(rule, ValueRule):
            observed = rule.convert(row[f"v{item.index}"])
            verdict = rule.judge(observed)
            if verdict is not None:
                result = {"observed_value": observed}
                results[item.index] = FusedResult({"success": verdict, "result": result})
        else:
            missing = int(row[f"m{item.index}"] or 0) if rule.missing is not None else None
            unexpected = int(row[f"u{item.index}"] or 0)
            gx_result = map_result(total, missing, unexpected, rule.mostly, rule.empty_count)
            results[item.index] = FusedResult(gx_result)
            if not gx_result["success"]:
                failing.append((item.index, rule))
    if failing:
        samples = _failing_rows(connection, source, failing, key_columns)
        for index, rule in failing:
            query = _reproduce(connection, source, rule, key_columns)
            results[index] = FusedResult(results[index].gx_result, samples[index], query)
    return results


def map_result(
    total: int, missing: int | None, unexpected: int, mostly: float, empty_count: int | None = None
) -> dict[str, Any]:
    """GX 1.x's result of a map expectation from its counts (`_format_map_output` and the
    `_validate` of column map, pair map and the (not-)null expectations)."""
    considered = total if missing is None else total - missing
    if total == 0:
        return {
            "success": True,
            "result": {
                "element_count": 0,
                "unexpected_count": empty_count,
                "unexpected_percent": None,
            },
        }
    if considered == 0:
        success = True
    else:
        success = (float(considered) - float(unexpected)) / float(considered) >= mostly
    percent = unexpected / considered * 100 if considered > 0 else None
    result: dict[str, Any] = {
        "element_count": total,
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
    }
    if missing is not None:
        result["missing_count"] = missing
    return {"success": success, "result": result}


def _unexpected_row(rule: RowRule) -> sa.ColumnElement[bool]:
    if rule.missing is None:
        return rule.unexpected
    return sa.and_(sa.not_(rule.missing), rule.unexpected)


def _count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """Rows where the condition holds. `col IS [NOT] NULL` (every missing count, (not-)null
    expectations) is counted from COUNT(col), which databases compute without evaluating a
    CASE on each row; the rest as SUM(CASE ...). On an empty table both give no count that
    is read (map_result reports GX's empty_count)."""
    if isinstance(condition, sa.BinaryExpression) and isinstance(condition.right, sa.Null):
        if condition.operator is operators.is_:
            return sa.func.count() - sa.func.count(condition.left)
        if condition.operator is operators.is_not:
            return sa.func.count(condition.left)
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _shown(rule: RowRule, key_columns: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*key_columns, *rule.shown]))


def _failing_rows(
    connection: sa.Connection,
    source: sa.FromClause,
    failing: Sequence[tuple[int, RowRule]],
    key_columns: Sequence[str],
) -> dict[int, list[dict[str, Any]]]:
    """Up to SAMPLE_SIZE failing rows of each failing rule, in one UNION ALL query."""
    names = list(dict.fromkeys(n for _, rule in failing for n in _shown(rule, key_columns)))
    parts = []
    for index, rule in failing:
        limited = (
            sa.select(sa.literal(index).label("dxq_rule"), *[sa.column(n) for n in names])
            .select_from(source)
            .where(_unexpected_row(rule))
            .limit(SAMPLE_SIZE)
            .subquery(f"f{index}")
        )
        parts.append(sa.select(limited))
    rows = connection.execute(sa.union_all(*parts)).mappings().all()
    out: dict[int, list[dict[str, Any]]] = {index: [] for index, _ in failing}
    for row in rows:
        out[int(row["dxq_rule"])].append({n: row[n] for n in names})
    return {index: [_sample(r, key_columns, rule) for r in out[index]] for index, rule in failing}


def _sample(row: Mapping[str, Any], key_columns: Sequence[str], rule: RowRule) -> dict[str, Any]:
    return sample_row(dict(row), tuple(key_columns), rule.shown)


def _reproduce(
    connection: sa.Connection,
    source: sa.FromClause,
    rule: RowRule,
    key_columns: Sequence[str],
) -> str | None:
    """The SQL that selects the failing rows, literal values inlined, for people to run."""
    shown: list[sa.ColumnElement[Any]] = [sa.column(n) for n in _shown(rule, key_columns)]
    stmt = sa.select(*shown).select_from(source).where(_unexpected_row(rule))
    try:
        return str(stmt.compile(connection, compile_kwargs={"literal_binds": True})) + ";"
    except Exception:  # a value the dialect cannot render inline: no query rather than a wrong one
        return None


def split(
    expectations: Sequence[Any], columns: set[str], dialect: str, source: sa.FromClause
) -> tuple[list[Fused], list[int]]:
    """The covered expectations (with their rules) and the positions left for GX."""
    fused: list[Fused] = []
    rest: list[int] = []
    for index, expectation in enumerate(expectations):
        rule = plan(expectation, columns, dialect, source)
        if rule is None:
            rest.append(index)
        else:
            fused.append(Fused(index, rule))
    return fused, rest

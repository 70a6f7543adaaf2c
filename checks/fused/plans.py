"""Which GX expectations run fused, as declarations: for a map expectation the SQL condition of
an unexpected row and of a missing one; for an aggregate expectation the SQL expression of its
observed value and the range it must fall in. Nothing here runs a query.

`plan` returns None for anything it does not reproduce exactly, and the expectation runs
through GX: an expectation type not listed, an argument not understood (row_condition,
parse_strings_as_datetimes, ignore_row_if other than GX's default, ...), bounds that are not
plain numbers, or a regular expression on an engine without one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from checks.suite_file import SuiteExpectation
from datasources.dialect import MYSQL_NAMES, is_mysql

# Arguments that change nothing about the result dxq keeps.
_HARMLESS = {"batch_id", "result_format", "catch_exceptions", "meta", "notes", "id", "severity"}
_REGEX_DIALECTS = {"postgresql", *MYSQL_NAMES, "sqlite"}


@dataclass(frozen=True)
class RowRule:
    """A column or column-pair map expectation, GX's rules: rows where `missing` holds are
    left out (counted as missing); of the rest, rows where `unexpected` holds are unexpected.
    `missing` None means GX reports no missing count (the (not-)null expectations)."""

    unexpected: sa.ColumnElement[bool]
    missing: sa.ColumnElement[bool] | None
    shown: tuple[str, ...]  # one column: its value; two: [a, b] in partial_unexpected_list
    mostly: float = 1.0
    # GX's unexpected count on an empty table: None where its metric is a SQL SUM (column map
    # expectations), 0 where it counts rows (pair maps, uniqueness).
    empty_count: int | None = None


@dataclass(frozen=True)
class ValueRule:
    """An aggregate expectation: `observed` must fall within the bounds (GX's `min_value`,
    `max_value`, `strict_min`, `strict_max`), or equal `equal`."""

    observed: sa.ColumnElement[Any]
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    strict_high: bool = False
    equal: float | None = None
    convert: Callable[[Any], Any] = lambda value: value  # the DB's value as GX reports it

    def judge(self, value: Any) -> bool | None:
        """GX's verdict on an observed value (None never passes); None when the value is not a
        number (a date or text column: GX's own comparison decides)."""
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if self.equal is not None:
            return bool(value == self.equal)
        if self.low is not None and (value <= self.low if self.strict_low else value < self.low):
            return False
        return not (
            self.high is not None
            and (value >= self.high if self.strict_high else value > self.high)
        )


@dataclass(frozen=True)
class KnownRule:
    """Decided without a query: the column is there or not."""

    success: bool


Rule = RowRule | ValueRule | KnownRule


def plan(
    expectation: SuiteExpectation, columns: set[str], dialect: str, source: sa.FromClause
) -> Rule | None:
    """The fused rule of one expectation on the dataset `source` with `columns`, or None to
    run it through GX."""
    planner = _PLANNERS.get(expectation.type)
    if planner is None:
        return None
    kwargs = {k: v for k, v in expectation.kwargs.items() if k not in _HARMLESS}
    if any(c not in columns for c in expectation.columns) and expectation.type != _EXISTS:
        return None  # GX reports a missing column its own way
    if expectation.type == _EXISTS:
        name = kwargs.get("column")
        if set(kwargs) != {"column"} or not isinstance(name, str):
            return None
        return KnownRule(name in columns)
    try:
        return planner(kwargs, dialect, source)
    except _NotCovered:
        return None


class _NotCovered(Exception):
    """This expectation, with these arguments, is GX's."""


def _take(kwargs: Mapping[str, Any], allowed: set[str]) -> dict[str, Any]:
    extra = set(kwargs) - allowed
    if extra:
        raise _NotCovered(", ".join(sorted(extra)))
    return dict(kwargs)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _NotCovered("bounds that are not numbers")
    return value


def _bounds(kwargs: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """`min_value` and `max_value` as GX accepts them (GX reports the rest as errors)."""
    low, high = _number(kwargs.get("min_value")), _number(kwargs.get("max_value"))
    if low is None and high is None:
        raise _NotCovered("no bounds")
    if low is not None and high is not None and low > high:
        raise _NotCovered("min_value above max_value")
    return low, high


def _mostly(kwargs: Mapping[str, Any]) -> float:
    value = kwargs.get("mostly", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _NotCovered("mostly")
    return float(value)


def _col(name: Any) -> sa.ColumnElement[Any]:
    if not isinstance(name, str):
        raise _NotCovered("column")
    return sa.column(name)


def _range(
    value: sa.ColumnElement[Any], kwargs: Mapping[str, Any], *, ints: bool = False
) -> sa.ColumnElement[bool]:
    """GX's between condition on a value (one-sided when a bound is None)."""
    low, high = _bounds(kwargs)
    if ints and not all(isinstance(b, int) for b in (low, high) if b is not None):
        raise _NotCovered("length bounds that are not whole numbers")
    parts = []
    if low is not None:
        parts.append(value > low if kwargs.get("strict_min") else value >= low)
    if high is not None:
        parts.append(value < high if kwargs.get("strict_max") else value <= high)
    return sa.and_(*parts)


def _between(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"})
    column = _col(args["column"])
    return RowRule(
        sa.not_(_range(column, args)), column.is_(None), (args["column"],), _mostly(args)
    )


def _not_null(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "mostly"})
    column = _col(args["column"])
    return RowRule(column.is_(None), None, (args["column"],), _mostly(args))


def _null(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "mostly"})
    column = _col(args["column"])
    return RowRule(column.is_not(None), None, (args["column"],), _mostly(args))


def _value_set(kwargs: Mapping[str, Any]) -> list[Any]:
    values = kwargs.get("value_set")
    if not isinstance(values, list) or not values:
        raise _NotCovered("value_set")
    kinds = {type(v) for v in values}
    if not (kinds <= {str} or kinds <= {int, float}) or bool in kinds:
        raise _NotCovered("a value_set of mixed or non-scalar values")
    return values


def _in_set(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "value_set", "mostly"})
    column = _col(args["column"])
    unexpected = column.not_in(_value_set(args))
    return RowRule(unexpected, column.is_(None), (args["column"],), _mostly(args))


def _not_in_set(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "value_set", "mostly"})
    column = _col(args["column"])
    unexpected = column.in_(_value_set(args))
    return RowRule(unexpected, column.is_(None), (args["column"],), _mostly(args))


def _lengths_between(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"})
    if is_mysql(dialect):
        # GX measures LENGTH() there, which counts bytes ("ü" is 2): GX keeps its own answer.
        raise _NotCovered("value lengths on MySQL/MariaDB")
    column = _col(args["column"])
    length = sa.func.char_length(column) if dialect != "sqlite" else sa.func.length(column)
    return RowRule(
        sa.not_(_range(length, args, ints=True)),
        column.is_(None),
        (args["column"],),
        _mostly(args),
    )


def _regex(matching: bool) -> Callable[[Mapping[str, Any], str, sa.FromClause], Rule]:
    def planner(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
        args = _take(kwargs, {"column", "regex", "mostly"})
        if dialect not in _REGEX_DIALECTS or not isinstance(args.get("regex"), str):
            raise _NotCovered("regex")
        column = _col(args["column"])
        matched = column.regexp_match(args["regex"])
        unexpected = sa.not_(matched) if matching else matched
        return RowRule(unexpected, column.is_(None), (args["column"],), _mostly(args))

    return planner


def _pair_greater(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column_A", "column_B", "or_equal", "ignore_row_if", "mostly"})
    if args.get("ignore_row_if", "both_values_are_missing") != "both_values_are_missing":
        raise _NotCovered("ignore_row_if")
    a, b = _col(args["column_A"]), _col(args["column_B"])
    unexpected = a < b if args.get("or_equal") else a <= b
    missing = sa.and_(a.is_(None), b.is_(None))
    return RowRule(unexpected, missing, (args["column_A"], args["column_B"]), _mostly(args), 0)


def _pair_equal(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column_A", "column_B", "ignore_row_if", "mostly"})
    if args.get("ignore_row_if", "both_values_are_missing") != "both_values_are_missing":
        raise _NotCovered("ignore_row_if")
    a, b = _col(args["column_A"]), _col(args["column_B"])
    unexpected = sa.not_(sa.and_(a == b, sa.not_(sa.or_(a.is_(None), b.is_(None)))))
    missing = sa.and_(a.is_(None), b.is_(None))
    return RowRule(unexpected, missing, (args["column_A"], args["column_B"]), _mostly(args), 0)


def _unique(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "mostly"})
    column = _col(args["column"])
    duplicated = (
        sa.select(column)
        .select_from(source)
        .where(column.is_not(None))
        .group_by(column)
        .having(sa.func.count() > 1)
    )
    return RowRule(column.in_(duplicated), column.is_(None), (args["column"],), _mostly(args), 0)


def _aggregate(function: str) -> Callable[[Mapping[str, Any], str, sa.FromClause], Rule]:
    def planner(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
        args = _take(kwargs, {"column", "min_value", "max_value", "strict_min", "strict_max"})
        column = _col(args["column"])
        observed = getattr(sa.func, function)(column)
        if function == "avg" and is_mysql(dialect):
            # AVG() there keeps 4 decimals (div_precision_increment); GX reports the double
            # quotient, 8.333333333333334 rather than 8.3333.
            observed = sa.cast(sa.func.sum(column), sa.Double()) / sa.func.count(column)
        return _judged(observed, args, _as_number if function != "avg" else _as_float)

    return planner


def _row_count(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"min_value", "max_value", "strict_min", "strict_max"})
    return _judged(sa.func.count(), args, _as_number)


def _row_count_equal(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"value"})
    value = args.get("value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _NotCovered("value")
    return ValueRule(sa.func.count(), equal=value, convert=_as_number)


def _proportion_unique(kwargs: Mapping[str, Any], dialect: str, source: sa.FromClause) -> Rule:
    args = _take(kwargs, {"column", "min_value", "max_value", "strict_min", "strict_max"})
    column = _col(args["column"])
    # GX: distinct non-null values over non-null values, 0 when there are none
    distinct = sa.func.count(sa.distinct(column))
    nonnull = sa.func.count(column)
    observed = sa.case((nonnull == 0, 0), else_=sa.cast(distinct, sa.Float) / nonnull)
    return _judged(observed, args, _as_number)


def _judged(
    observed: sa.ColumnElement[Any], args: Mapping[str, Any], convert: Callable[[Any], Any]
) -> ValueRule:
    """An observed value held to GX's `min_value`/`max_value` with their strictness."""
    low, high = _bounds(args)
    strict_low, strict_high = bool(args.get("strict_min")), bool(args.get("strict_max"))
    return ValueRule(observed, low, high, strict_low, strict_high, convert=convert)


_EXISTS = "expect_column_to_exist"


def _as_number(value: Any) -> Any:
    """Counts and sums as the engines return them, plain numbers as GX reports them."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _as_float(value: Any) -> Any:
    return None if value is None else float(value)


_PLANNERS: dict[str, Callable[[Mapping[str, Any], str, sa.FromClause], Rule]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_value_lengths_to_be_between": _lengths_between,
    "expect_column_values_to_match_regex": _regex(matching=True),
    "expect_column_values_to_not_match_regex": _regex(matching=False),
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
    "expect_column_pair_values_to_be_equal": _pair_equal,
    "expect_column_values_to_be_unique": _unique,
    "expect_column_min_to_be_between": _aggregate("min"),
    "expect_column_max_to_be_between": _aggregate("max"),
    "expect_column_mean_to_be_between": _aggregate("avg"),
    "expect_column_sum_to_be_between": _aggregate("sum"),
    "expect_table_row_count_to_be_between": _row_count,
    "expect_table_row_count_to_equal": _row_count_equal,
    "expect_column_proportion_of_unique_values_to_be_between": _proportion_unique,
    _EXISTS: lambda kwargs, dialect, source: KnownRule(False),  # decided in plan()
}

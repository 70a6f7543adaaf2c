"""GX's own plain-words description of a fused expectation ("a values must be unique."),
written without importing GX. GX renders the same sentence for the expectations it runs;
tests/checks/test_fused_agreement.py holds both to the same words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.suite_file import SuiteExpectation


def describe(expectation: SuiteExpectation) -> str | None:
    """The sentence GX renders for this expectation, or None for a type not covered here."""
    k = expectation.kwargs
    column = k.get("column")
    kind = expectation.type.removeprefix("expect_")
    text: str | None
    if kind == "column_values_to_not_be_null":
        text = f"{column} values must " + ("never be null" if _mostly(k) is None else "not be null")
    elif kind == "column_values_to_be_null":
        text = f"{column} values must be null"
    elif kind == "column_values_to_be_between":
        text = f"{column} values must be {_range(k)}"
    elif kind in ("column_values_to_be_in_set", "column_values_to_not_be_in_set"):
        members = " ".join(_plain(v) for v in k.get("value_set") or [])
        negation = "not " if "not_be" in kind else ""
        text = f"{column} values must {negation}belong to this set: {members}"
    elif kind == "column_value_lengths_to_be_between":
        text = f"{column} values must {_always(k)}be {_range(k)} characters long"
    elif kind in ("column_values_to_match_regex", "column_values_to_not_match_regex"):
        negation = "not " if "not_match" in kind else ""
        text = f"{column} values must {negation}match this regular expression: {k.get('regex')}"
    elif kind == "column_pair_values_a_to_be_greater_than_b":
        relation = "greater than or equal to" if k.get("or_equal") else "greater than"
        a, b = k.get("column_A"), k.get("column_B")
        text = f"Values in {a} must {_always(k)}be {relation} those in {b}"
    elif kind == "column_pair_values_to_be_equal":
        a, b = k.get("column_A"), k.get("column_B")
        text = f"Values in {a} and {b} must {_always(k)}be equal"
    elif kind == "column_values_to_be_unique":
        text = f"{column} values must be unique"
    elif kind in _AGGREGATES:
        low, high = k.get("min_value"), k.get("max_value")
        single = low is not None and low == high
        if single and not (k.get("strict_min") or k.get("strict_max")):
            if kind in ("column_min_to_be_between", "column_max_to_be_between"):
                return f"{column} {_AGGREGATES[kind]} must be {_plain(low)}"  # GX's, no stop
            if kind == "column_proportion_of_unique_values_to_be_between":
                return f"{column} {_AGGREGATES[kind]} must be exactly {_plain(low)}."
        text = f"{column} {_AGGREGATES[kind]} must be {_range(k)}"
    elif kind == "table_row_count_to_be_between":
        text = f"Must have {_range(k)} rows"
    elif kind == "table_row_count_to_equal":
        text = f"Must have exactly {_plain(k.get('value'))} rows"
    elif kind == "column_to_exist":
        text = f"{column} is a required field"
    else:
        return None
    mostly = _mostly(k)
    if mostly is not None and kind.startswith(
        ("column_values", "column_value_lengths", "column_pair")
    ):
        text += f", at least {_plain(round(mostly * 100, 6))} % of the time"
    return text + "."


_MAPS = ("column_values", "column_value_lengths", "column_pair")
_AGGREGATES = {
    "column_min_to_be_between": "minimum value",
    "column_max_to_be_between": "maximum value",
    "column_mean_to_be_between": "mean",
    "column_sum_to_be_between": "sum",
    "column_proportion_of_unique_values_to_be_between": "proportion of unique values",
}


def _mostly(kwargs: Mapping[str, Any]) -> float | None:
    value = kwargs.get("mostly")
    return None if value is None or value == 1 else float(value)


def _always(kwargs: Mapping[str, Any]) -> str:
    """GX says "must always be" without `mostly` and "must be …, at least N %" with it."""
    return "always " if _mostly(kwargs) is None else ""


def _range(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    parts = []
    if low is not None:
        parts.append(
            ("greater than " if kwargs.get("strict_min") else "greater than or equal to ")
            + _plain(low)
        )
    if high is not None:
        parts.append(
            ("less than " if kwargs.get("strict_max") else "less than or equal to ") + _plain(high)
        )
    return " and ".join(parts)


def _plain(value: Any) -> str:
    """A number as GX prints it in its sentences (2.0 as 2)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

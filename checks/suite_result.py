"""GX validation results (as plain dicts) turned into dxq check results, without importing GX."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from checks.masking import is_pii, mask_columns, mask_deep
from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import SuiteSpec
from checks.suite_file import SuiteExpectation
from datasources.errors import Cause
from datasources.percent import percent as as_percent

SAMPLE_SIZE = 20
_METRICS = ("unexpected_count", "unexpected_percent", "element_count", "observed_value")
_HIDDEN_KWARGS = {"column", "column_list", "column_A", "column_B", "batch_id", "result_format"}


def check_name(spec: SuiteSpec, expectation: SuiteExpectation) -> str:
    """E.g. "suites/catalog.json: expect_column_values_to_not_be_null(sku)"."""
    return f"{spec.label}: {expectation.type}({', '.join(expectation.columns)})"


def check_names(spec: SuiteSpec, expectations: Sequence[SuiteExpectation]) -> list[str]:
    """The check name of each expectation of a suite; a repeated name gets " #2", " #3"."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for expectation in expectations:
        name = check_name(spec, expectation)
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return names


def in_suite(check: str, label: str) -> bool:
    """Whether `check` names an expectation of the suite `label` (as `check_name` builds it);
    a suite that cannot be evaluated has one result named `label`."""
    return check.startswith(f"{label}: ")


def to_check_result(
    spec: SuiteSpec,
    expectation: SuiteExpectation,
    name: str,
    gx_result: Mapping[str, Any],
    sample: list[dict[str, Any]] | None = None,
    query: str | None = None,
) -> CheckResult:
    """One expectation's GX result (`ExpectationValidationResult.to_json_dict()`) as data."""
    severity = expectation.severity_or(spec.severity)
    problem = exception_message(gx_result.get("exception_info"))
    if problem is not None:
        reason = f"GX could not evaluate {expectation.type} on {spec.dataset.label}: {problem}"
        error = error_result(
            name, CheckKind.EXPECTATION, severity, reason, cause=Cause.BAD_QUERY, side=spec.side
        )
        return replace(error, expected=describe_expected(expectation))
    result = gx_result.get("result") or {}
    metrics = {k: json_safe(result[k]) for k in _METRICS if k in result}
    for count in ("unexpected_count", "element_count"):  # MariaDB sums come back as DECIMAL
        if isinstance(metrics.get(count), float):
            metrics[count] = int(metrics[count])
    if sample is None:
        sample = sample_from_result(result, expectation.columns)
    if spec.pii_columns:
        metrics, sample = _masked(spec, expectation, metrics, sample)
    headline = None
    if "unexpected_count" in result:
        headline = "unexpected_percent"
    elif isinstance(metrics.get("observed_value"), int | float):
        headline = "observed_value"
    success = bool(gx_result.get("success"))
    return CheckResult(
        check=name,
        kind=CheckKind.EXPECTATION,
        outcome=Outcome.PASSED if success else Outcome.for_failure(severity),
        severity=severity,
        metrics=metrics,
        headline=headline,
        observed=describe_observed(metrics),
        expected=describe_expected(expectation),
        sample=[] if success else sample[:SAMPLE_SIZE],
        query=None if success else query,
        side=spec.side,
    )


def _masked(
    spec: SuiteSpec,
    expectation: SuiteExpectation,
    metrics: dict[str, Any],
    sample: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics and sample with the values of the side's PII columns masked: key columns,
    checked values, and an observed value computed from a PII column."""
    pii = spec.pii_columns
    checked = [c for c in expectation.columns if is_pii(c, pii)]
    if checked and "observed_value" in metrics:
        metrics = {**metrics, "observed_value": mask_deep(metrics["observed_value"])}
    masked = []
    for row in sample:
        row = dict(row)
        if isinstance(row.get("key"), Mapping):
            row["key"] = mask_columns(row["key"], pii)
        value = row.get("value")
        if isinstance(value, Mapping):
            row["value"] = mask_columns(value, pii)
        elif checked:
            row["value"] = mask_deep(value)
        masked.append(row)
    return metrics, masked


def exception_message(info: Any) -> str | None:
    """GX's message for an expectation it could not evaluate, on one line; None if it could."""
    if not isinstance(info, Mapping):
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("raised_exception"):
            return condense(str(entry.get("exception_message") or "unknown error"))
    return None


def condense(message: str, limit: int = 300) -> str:
    """A message on one line, without SQL echo and driver boilerplate, at most `limit` chars."""
    message = message.split("\n[SQL:")[0].split("\n(Background on this error")[0]
    line = re.sub(r"\s+", " ", message).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def sample_from_result(result: Mapping[str, Any], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Sample rows from GX's partial unexpected index list, else from its partial value list."""
    indexed = result.get("partial_unexpected_index_list")
    key_names = result.get("unexpected_index_column_names")
    if isinstance(indexed, list) and indexed and isinstance(key_names, list):
        rows = [r for r in indexed if isinstance(r, Mapping)]
        return [sample_row(r, key_names, columns) for r in rows[:SAMPLE_SIZE]]
    values = result.get("partial_unexpected_list")
    if isinstance(values, list):
        return [{"value": json_safe(v)} for v in values[:SAMPLE_SIZE]]
    return []


def sample_row(
    row: Mapping[str, Any], key_names: Sequence[str], columns: Sequence[str]
) -> dict[str, Any]:
    """{"key": {key column: value}, "value": the checked value (a dict for several columns)}."""
    checked = [c for c in columns if c in row]
    value: Any
    if len(checked) == 1:
        value = json_safe(row[checked[0]])
    else:
        value = {c: json_safe(row[c]) for c in checked}
    if not key_names:
        return {"value": value}
    return {"key": {k: json_safe(row.get(k)) for k in key_names}, "value": value}


def describe_observed(metrics: Mapping[str, Any]) -> str | None:
    """E.g. "3 of 1000 rows unexpected (0.3%)" or the observed value."""
    if "unexpected_count" in metrics:
        count, total = metrics["unexpected_count"], metrics.get("element_count")
        percent = metrics.get("unexpected_percent")
        text = f"{count} of {total} rows unexpected"
        if isinstance(percent, int | float):
            text += f" ({as_percent(percent / 100)})"
        return text
    if "observed_value" in metrics:
        return _short(metrics["observed_value"])
    return None


def describe_expected(expectation: SuiteExpectation) -> str:
    """The expectation's kwargs in words: "values not null", "between 0 and 10000"."""
    kwargs = expectation.kwargs
    kind = expectation.type
    words: list[str] = []
    if kind.endswith("_to_not_be_null"):
        words.append("values not null")
    elif kind.endswith("_to_be_null"):
        words.append("values null")
    elif kind.endswith("_to_be_unique"):
        words.append("values unique")
    if "min_value" in kwargs or "max_value" in kwargs:
        words.append(_bounds(kwargs.get("min_value"), kwargs.get("max_value")))
    if "value_set" in kwargs:
        negated = "_not_be_in_set" in kind
        words.append(f"{'not ' if negated else ''}in {_short(kwargs['value_set'], 80)}")
    if "regex" in kwargs:
        words.append(f"matching {kwargs['regex']!r}")
    if "value" in kwargs:
        words.append(f"= {_short(kwargs['value'])}")
    for name, value in kwargs.items():
        if name in _HIDDEN_KWARGS or name in ("min_value", "max_value", "value_set", "regex"):
            continue
        if name == "value" or value is None:
            continue
        words.append(f"{name} {_short(value, 60)}")
    return ", ".join(words) if words else kind.removeprefix("expect_").replace("_", " ")


def _bounds(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"between {_short(low)} and {_short(high)}"
    if low is not None:
        return f"at least {_short(low)}"
    if high is not None:
        return f"at most {_short(high)}"
    return "any value"


def _short(value: Any, limit: int = 120) -> str:
    value = json_safe(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_safe(value: Any) -> Any:
    """The value as plain JSON: Decimal, datetime, numpy and pandas values converted."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return json_safe(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas series
    if callable(tolist):
        return json_safe(tolist())
    isoformat = getattr(value, "isoformat", None)  # pandas Timestamp subclasses datetime
    if callable(isoformat):
        return str(isoformat())
    if str(value) in ("<NA>", "NaT"):
        return None
    return str(value)

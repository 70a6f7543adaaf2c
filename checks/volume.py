"""The volume check: row counts of source and target, each counted in its own database."""

from __future__ import annotations

import time

from checks.limit import judge, warning_note
from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import VolumeSpec
from datasources.connection import mask_url
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import DatasourceError
from datasources.introspection import count_rows
from datasources.percent import percent


def check_volume(spec: VolumeSpec) -> CheckResult:
    """Compare the row counts of both sides: passed if |target - source| <= tolerance * source."""
    started = time.perf_counter()
    counts: list[int] = []
    for side, dataset in (("source", spec.source), ("target", spec.target)):
        try:
            counts.append(count_rows(dataset))
        except DatasourceError as exc:
            reason = datasource_reason(dataset, exc)
            return error_result(
                spec.name, CheckKind.VOLUME, spec.severity, reason, cause=exc.cause, side=side
            )
    source_rows, target_rows = counts
    difference = target_rows - source_rows
    base = max(source_rows, 1)
    rate = abs(difference) / base
    warn = None if spec.warn_tolerance is None else spec.warn_tolerance * base
    outcome = judge(abs(difference), spec.tolerance * base, warn, spec.severity)
    passed = outcome is Outcome.PASSED
    return CheckResult(
        check=spec.name,
        kind=CheckKind.VOLUME,
        outcome=outcome,
        severity=spec.severity,
        metrics={
            "source_rows": source_rows,
            "target_rows": target_rows,
            "difference": difference,
            "difference_rate": rate,
        },
        headline="difference_rate",
        observed=describe_counts(source_rows, target_rows),
        expected=f"target within {format_rate(spec.tolerance)} of the source row count"
        + warning_note(spec.warn_tolerance, format_rate),
        reason=None if passed else f"{spec.target.label} differs from {spec.source.label}",
        duration_s=time.perf_counter() - started,
    )


def describe_counts(source_rows: int, target_rows: int) -> str:
    """'998 rows in target, 1000 in source (2 fewer, 0.2%)'."""
    difference = target_rows - source_rows
    if difference == 0:
        return f"{target_rows} rows on both sides"
    word = "more" if difference > 0 else "fewer"
    rate = format_rate(abs(difference) / max(source_rows, 1))
    return (
        f"{target_rows} rows in target, {source_rows} in source ({abs(difference)} {word}, {rate})"
    )


def format_rate(rate: float) -> str:
    """A fraction as a short percentage: 0.01 -> '1%', 0.0025 -> '0.25%' (the one rule,
    datasources.percent, with four decimals so that small tolerances stay readable)."""
    return percent(rate, 4)


def datasource_reason(dataset: Dataset, exc: DatasourceError) -> str:
    """An error reason naming the dataset and, for SQL systems, the masked URL."""
    message = str(exc)
    where = dataset.label
    if isinstance(dataset.system, SqlSystem):
        masked = mask_url(dataset.system.url)
        where += "" if masked in message else f" ({masked})"
    return f"{where}: {message}"

"""The one rule for a measured value against its limits: over `fail` the check fails (or warns,
for a warning-level check), over the optional `warn` level below it the check is `warned`."""

from __future__ import annotations

from collections.abc import Callable

from checks.result import Outcome, Severity


def judge(value: float, fail: float, warn: float | None, severity: Severity) -> Outcome:
    """passed, warned or failed for `value` against the `fail` limit and the `warn` level."""
    if value > fail:
        return Outcome.for_failure(severity)
    if warn is not None and value > warn:
        return Outcome.WARNED
    return Outcome.PASSED


def describe_limit(fail: float, warn: float | None, shown: Callable[[float], str]) -> str:
    """ "at most 2h", or "at most 2h (warning above 1h)"."""
    return f"at most {shown(fail)}{warning_note(warn, shown)}"


def warning_note(warn: float | None, shown: Callable[[float], str]) -> str:
    """ " (warning above 1h)" for a warn level; "" without one."""
    return "" if warn is None else f" (warning above {shown(warn)})"

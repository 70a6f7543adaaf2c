"""A limit of the monitor file with an optional warning level: `max_age: 2h` or
`max_age: {warn: 1h, fail: 2h}` (likewise volume `tolerance` and `max_mismatch_rate`).

The value is a float, the fail limit, so every reader that compares against the limit keeps
doing so; `warning_level` gives the warn level, None when only one value is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import ValidatorFunctionWrapHandler, WrapValidator

from datasources.durations import parse_duration
from monitor.config.values import parse_fraction


class Limit(float):
    """A fail limit that also carries the warn level below it."""

    warn: float | None

    def __new__(cls, fail: float, warn: float | None = None) -> Limit:
        limit = super().__new__(cls, fail)
        limit.warn = warn
        return limit


def warning_level(limit: float) -> float | None:
    """The warn level of a limit from the monitor file; None when it has none."""
    return limit.warn if isinstance(limit, Limit) else None


def _limit(parse: Callable[[Any], float]) -> WrapValidator:
    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> float:
        if not isinstance(value, dict):
            return float(handler(parse(value)))
        unknown = sorted(set(value) - {"warn", "fail"})
        if unknown or "fail" not in value:
            raise ValueError(
                "give one limit, or {warn: …, fail: …} with the fail limit"
                + (f" (unknown: {', '.join(map(str, unknown))})" if unknown else "")
            )
        fail = float(handler(parse(value["fail"])))
        warn = None if value.get("warn") is None else float(handler(parse(value["warn"])))
        if warn is not None and warn >= fail:
            raise ValueError(f"warn ({value['warn']}) must be below fail ({value['fail']})")
        return Limit(fail, warn)

    return WrapValidator(validate)


DurationLimit = Annotated[float, _limit(parse_duration)]
FractionLimit = Annotated[float, _limit(parse_fraction)]

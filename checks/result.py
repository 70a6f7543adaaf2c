"""The one result model every check produces."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from datasources.errors import Cause


class Outcome(StrEnum):
    """What one check concluded.

    `failed` is a finding about the data; `error` is a finding about the monitoring (the check
    could not be evaluated). They are never mixed.
    """

    PASSED = "passed"
    WARNED = "warned"
    FAILED = "failed"
    ERROR = "error"

    @classmethod
    def for_failure(cls, severity: Severity) -> Outcome:
        """A broken rule is `warned` for warning-level checks and `failed` otherwise."""
        return cls.WARNED if severity is Severity.WARNING else cls.FAILED

    @property
    def rank(self) -> int:
        """Order of badness: passed < warned < failed < error."""
        return _RANK[self]

    @classmethod
    def worst(cls, outcomes: list[Outcome]) -> Outcome:
        """The worst of several outcomes (`passed` for none)."""
        return max(outcomes, key=lambda o: o.rank, default=cls.PASSED)


_RANK = {Outcome.PASSED: 0, Outcome.WARNED: 1, Outcome.FAILED: 2, Outcome.ERROR: 3}

SAMPLE_VALUE_CHARS = 1024  # longer text in a sample is cut here, and says so
_TRUNCATED = re.compile(r"… \[truncated from [\d,]+ characters\]")


def bounded(value: Any) -> Any:
    """A sample value as results keep it: text longer than `SAMPLE_VALUE_CHARS` is cut there and
    ends in "… [truncated from N characters]"; dicts, lists and tuples are bounded item by item."""
    if isinstance(value, str) and len(value) > SAMPLE_VALUE_CHARS:
        if _TRUNCATED.fullmatch(value, SAMPLE_VALUE_CHARS):
            return value  # bounded already (a result read back from the store)
        return f"{value[:SAMPLE_VALUE_CHARS]}… [truncated from {len(value):,} characters]"
    if isinstance(value, dict):
        return {k: bounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [bounded(v) for v in value]
    if isinstance(value, tuple):
        return tuple(bounded(v) for v in value)
    return value


class Severity(StrEnum):
    """How much a failing check matters to its owners."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"


class CheckKind(StrEnum):
    """The families of checks."""

    EXPECTATION = "expectation"
    FRESHNESS = "freshness"
    VOLUME = "volume"
    RECONCILE = "reconcile"
    REFERENCES = "references"
    SCHEMA = "schema"
    LATENCY = "latency"
    ANOMALY = "anomaly"  # a watched series left its expected band (checks/anomaly)


@dataclass(frozen=True)
class MismatchedKey:
    """One record that differs between source and target (reconcile)."""

    key: dict[str, Any]
    kind: str  # missing_in_target | missing_in_source | changed
    fields: dict[str, list[Any]] = field(default_factory=dict)  # field -> [source, target]


@dataclass(frozen=True)
class CheckResult:
    """One evaluated check.

    - `check` names the check uniquely inside its integration (e.g. "reconcile",
      "suites/x.json: expect_column_values_to_not_be_null(sku)").
    - `metrics` is JSON-serialisable; `headline` names the key of the one metric the dashboard
      trends (e.g. "mismatch_rate", "lag_seconds", "unexpected_percent").
    - `observed` / `expected` are short human-readable strings for the drill-down.
    - `sample` is a bounded list of JSON-serialisable rows (PII already masked); each value
      in it, in `mismatched_keys`' fields and in `observed` is bounded here (`bounded`), so
      no check stores a 1 MB value with every run.
    - `query` selects the failing rows, for the on-call engineer to reproduce.
    - `reason` explains an `error` (or a failure) in plain words; an `error` also carries its
      machine-readable cause in `metrics["cause"]` (see `cause`), so the store keeps it.
    - `mismatched_keys` carries reconcile's differing keys (bounded) so the store can age them.
    """

    check: str
    kind: CheckKind
    outcome: Outcome
    severity: Severity
    metrics: dict[str, Any] = field(default_factory=dict)
    headline: str | None = None
    observed: str | None = None
    expected: str | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    query: str | None = None
    reason: str | None = None
    side: str | None = None  # "source" | "target" | None (both)
    duration_s: float = 0.0
    mismatched_keys: tuple[MismatchedKey, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sample", [bounded(row) for row in self.sample])
        object.__setattr__(self, "observed", bounded(self.observed))
        keys = tuple(replace(k, fields=bounded(k.fields)) for k in self.mismatched_keys)
        object.__setattr__(self, "mismatched_keys", keys)

    @property
    def headline_value(self) -> float | None:
        """The numeric value of the headline metric, if there is one."""
        if self.headline is None:
            return None
        value = self.metrics.get(self.headline)
        return float(value) if isinstance(value, int | float) else None

    @property
    def cause(self) -> Cause | None:
        """Why an `error` could not be evaluated (`datasources.errors.Cause`); None otherwise."""
        value = self.metrics.get("cause") if self.outcome is Outcome.ERROR else None
        return next((cause for cause in Cause if cause.value == value), None)

    def to_json(self) -> dict[str, Any]:
        """The shape of one check in `dxq run --format json` (docs/cli.md#the-json-document)."""
        doc: dict[str, Any] = {
            "check": self.check,
            "kind": str(self.kind),
            "outcome": str(self.outcome),
            "severity": str(self.severity),
            "metrics": self.metrics,
        }
        if self.sample:
            doc["sample"] = self.sample
        for name in ("observed", "expected", "query", "reason", "side", "cause"):
            value = getattr(self, name)
            if value is not None:
                doc[name] = str(value) if name == "cause" else value
        return doc


def error_result(
    check: str,
    kind: CheckKind,
    severity: Severity,
    reason: str,
    *,
    cause: Cause = Cause.INTERNAL,
    side: str | None = None,
) -> CheckResult:
    """A check that could not be evaluated, and why: `cause` is the exception's (its `cause`,
    or `cause_of(exc)`); `internal` when a defect, not a system, stopped the check."""
    return CheckResult(
        check=check,
        kind=kind,
        outcome=Outcome.ERROR,
        severity=severity,
        metrics={"cause": str(cause)},
        reason=reason,
        side=side,
    )

"""The schema check: columns and types of both sides, against the last run and each other.

Against the last run (`SchemaSpec.previous`) every added or removed column and every changed
type name is a change. Between the sides, columns with the same name (case-insensitive) must
hold the same family of type; integer and numeric are compatible, so are date and timestamp
(a file cannot tell them apart), and so is a type nobody knows.
The current snapshot is returned in the metrics for the caller to store.
"""

from __future__ import annotations

import re
import time
from typing import Any

from checks.result import CheckKind, CheckResult, Outcome, error_result
from checks.spec import SchemaSpec
from checks.volume import datasource_reason
from datasources.errors import DatasourceError
from datasources.introspection import columns

Snapshot = dict[str, str]  # column -> generic type name

_FAMILIES = {
    "smallint": "integer", "integer": "integer", "bigint": "integer",
    "numeric": "number", "double": "number", "boolean": "boolean",
    "varchar": "text", "char": "text", "text": "text", "uuid": "text",
    "date": "date", "time": "time", "timestamp": "timestamp", "timestamptz": "timestamp",
}  # fmt: skip
_COMPATIBLE = {frozenset({"integer", "number"}), frozenset({"date", "timestamp"})}


def type_family(type_name: str) -> str:
    """The family of a generic type name: 'numeric(10,2)' -> 'number', 'varchar(20)' -> 'text'."""
    base = re.sub(r"\(.*\)$", "", type_name.strip().lower())
    return _FAMILIES.get(base, base)


def compatible(one: str, other: str) -> bool:
    """Whether two type names hold the same kind of values across systems."""
    a, b = type_family(one), type_family(other)
    return a == b or "unknown" in (a, b) or frozenset({a, b}) in _COMPATIBLE


def check_schema(spec: SchemaSpec) -> CheckResult:
    """Compare both sides' columns with the previous snapshot and with each other."""
    started = time.perf_counter()
    current: dict[str, Snapshot] = {}
    for side, dataset in (("source", spec.source), ("target", spec.target)):
        try:
            current[side] = columns(dataset)
        except DatasourceError as exc:
            reason = datasource_reason(dataset, exc)
            return error_result(
                spec.name, CheckKind.SCHEMA, spec.severity, reason, cause=exc.cause, side=side
            )
    previous = spec.previous or {}
    drift = {
        side: diff_columns(previous[side], current[side])
        for side in ("source", "target")
        if previous.get(side) is not None
    }
    conflicts = conflicting_types(current["source"], current["target"])
    changes = sum(len(d["added"]) + len(d["removed"]) + len(d["changed"]) for d in drift.values())
    broken = changes > 0 or bool(conflicts)
    observed = describe(drift, conflicts)
    metrics: dict[str, Any] = {
        "changes": changes,
        "conflicts": len(conflicts),
        **{side: drift.get(side, _NO_DRIFT) for side in ("source", "target")},
        "between_sides": {"changed": conflicts},
        "snapshot": current,
    }
    return CheckResult(
        check=spec.name,
        kind=CheckKind.SCHEMA,
        outcome=Outcome.for_failure(spec.severity) if broken else Outcome.PASSED,
        severity=spec.severity,
        metrics=metrics,
        headline="changes",
        observed=observed,
        expected="the columns of the last run, with compatible types on both sides",
        reason=observed if broken else None,
        duration_s=time.perf_counter() - started,
    )


_NO_DRIFT: dict[str, Any] = {"added": [], "removed": [], "changed": {}}


def diff_columns(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """Added and removed column names, and changed types as {column: [before, after]}."""
    return {
        "added": [name for name in after if name not in before],
        "removed": [name for name in before if name not in after],
        "changed": {
            name: [before[name], kind]
            for name, kind in after.items()
            if name in before and before[name] != kind
        },
    }


def conflicting_types(source: Snapshot, target: Snapshot) -> dict[str, list[str]]:
    """Columns present on both sides (by name) whose type families differ: {name: [src, tgt]}."""
    by_name = {name.lower(): name for name in target}
    conflicts: dict[str, list[str]] = {}
    for name, kind in source.items():
        other = by_name.get(name.lower())
        if other is not None and not compatible(kind, target[other]):
            conflicts[name] = [kind, target[other]]
    return conflicts


def describe(drift: dict[str, dict[str, Any]], conflicts: dict[str, list[str]]) -> str:
    """One plain sentence per finding, or 'no changes'."""
    parts: list[str] = []
    for side, found in drift.items():
        words = [f"added {name}" for name in found["added"]]
        words += [f"removed {name}" for name in found["removed"]]
        words += [f"{name} {old} -> {new}" for name, (old, new) in found["changed"].items()]
        if words:
            parts.append(f"{side}: {', '.join(words)}")
    for name, (src, tgt) in conflicts.items():
        one, other = type_family(src), type_family(tgt)
        parts.append(f"{name} is {one} ({src}) in source but {other} ({tgt}) in target")
    return "; ".join(parts) if parts else "no changes"

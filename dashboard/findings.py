"""What a failing check found, in plain words and with the number of records it affects: the
Overview's cards lead with these ("16 with a different unit_price"), and the failing-checks
list sorts by severity, then by records affected. Also the plain name of a check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checks.result import Severity
from dashboard.format import duration
from datasources.numbers import number

# critical first: the order Severity declares.
SEVERITY_RANK = {str(s): rank for rank, s in enumerate(Severity)}
_EXPECTATION = re.compile(r"^(?P<suite>.*?): (?P<type>expect_\w+)\((?P<columns>[^)]*)\)")
_KIND_WORDS = {
    "reconcile": "records agree between {source} and {target}",
    "freshness": "data is recent enough",
    "volume": "{source} and {target} hold about as many records",
    "references": "referenced values exist",
    "schema": "columns and types unchanged",
    "anomaly": "numbers within their usual range",
    "latency": "changes reach {target} in time",
}
_ANOMALY = re.compile(r"^anomaly\((?P<check>[^.]+)\.(?P<metric>.+)\)$")
_SERIES_WORDS = {  # the numbers of a run that an anomaly check watches (KNOWN_METRICS)
    "source_rows": "row count of {source}",
    "target_rows": "row count of {target}",
    "difference": "row count difference",
    "difference_rate": "row count difference",
    "compared": "records compared",
    "missing_in_target": "records missing in {target}",
    "missing_in_source": "records missing in {source}",
    "changed": "records that differ",
    "mismatch_rate": "mismatch rate",
    "source_new_rows": "new records in {source}",
    "target_new_rows": "new records in {target}",
    "new_rows": "new records",
    "lag_seconds": "data age",
    "duration_s": "run duration",
}


@dataclass(frozen=True)
class Finding:
    """What one failing check found: words, and how many records (None: not about records)."""

    words: str
    records: int | None


def finding(
    kind: str, metrics: Any, observed: Any, source: str, target: str, rule: str = ""
) -> Finding:
    """The finding of a check result from its kind and metrics (`source`/`target`: the
    systems' names, `rule`: the check in words); the observed text when the metrics say
    nothing more specific."""
    m = metrics if isinstance(metrics, dict) else {}
    if kind == "reconcile" and "changed" in m:
        parts: list[str] = []
        if m.get("missing_in_target"):
            parts.append(f"{m['missing_in_target']:,} missing in {target}")
        if m.get("missing_in_source"):
            parts.append(f"{m['missing_in_source']:,} missing in {source}")
        by_field = m.get("changed_by_field") or {}
        for field, count in sorted(by_field.items(), key=lambda item: -int(item[1] or 0)):
            if count:
                parts.append(f"{count:,} with a different {field}")
        if m.get("changed") and not any(by_field.values()):
            parts.append(f"{m['changed']:,} with different values")
        total = int(m.get("missing_in_target", 0)) + int(m.get("missing_in_source", 0))
        return Finding(" · ".join(parts) or str(observed or ""), total + int(m["changed"]))
    if kind == "expectation" and m.get("unexpected_count") is not None:
        count = int(m["unexpected_count"])
        broken = f"“{rule.rstrip('.')}”" if rule else "the rule"
        return Finding(f"{count:,} record(s) break {broken}", count)
    if kind == "references" and m.get("missing_rows") is not None:
        count = int(m["missing_rows"])
        return Finding(f"{count:,} record(s) point to nothing", count)
    if kind == "volume" and m.get("difference") is not None:
        return Finding(f"{abs(int(m['difference'])):,} records more on one side", None)
    if kind == "latency" and m.get("p95_s") is not None:
        waiting = int(m.get("waiting") or 0)
        return Finding(f"changes take {duration(float(m['p95_s']))} to arrive (p95)", waiting)
    if kind == "anomaly" and m.get("value") is not None and m.get("expected_low") is not None:
        low, high, value = (number(float(m[k])) for k in ("expected_low", "expected_high", "value"))
        return Finding(f"{m.get('series')} is {value}, usually {low} to {high}", None)
    if kind == "freshness" and m.get("lag_seconds") is not None:
        return Finding(f"newest data {duration(float(m['lag_seconds']))} old", None)
    return Finding(str(observed or "could not be checked"), None)


def check_words(check: str, kind: str, metrics: Any, source: str, target: str) -> str:
    """A check's plain name: GX's own words for an expectation ("email values must be
    unique."), the rule in words for dxq's checks (an anomaly check: its number, "row count
    of shop.orders within its usual range"); never a suite path or an expect_… name."""
    m = metrics if isinstance(metrics, dict) else {}
    if kind == "expectation":
        if isinstance(m.get("description"), str):
            return str(m["description"])
        found = _EXPECTATION.match(check)
        if found:  # a result stored before results carried GX's words
            rule = found["type"].removeprefix("expect_").replace("_", " ")
            return f"{found['columns']}: {rule}" if found["columns"] else rule
    if kind == "anomaly":
        return _series_words(check, m, source, target)
    words = _KIND_WORDS.get(kind)
    return words.format(source=source, target=target) if words else check


def _series_words(check: str, metrics: dict[str, Any], source: str, target: str) -> str:
    """ "row count of shop.orders within its usual range" for `anomaly(volume.target_rows)`,
    from the result's metrics or, without them, from the check's name."""
    found = _ANOMALY.match(check)
    watched = metrics.get("check") or (found["check"] if found else None)
    metric = metrics.get("metric") or (found["metric"] if found else None)
    if not isinstance(metric, str):
        return _KIND_WORDS["anomaly"]
    field = metric.partition(".")[2]
    if metric in _SERIES_WORDS:
        number = _SERIES_WORDS[metric].format(source=source, target=target)
    elif metric.startswith("changed_by_field."):
        number = f"records with a different {field}"
    elif metric.startswith("duration_s."):
        number = f"run time on {field}"
    else:
        number = f"{metric.replace('_', ' ')} of {watched}"
    return f"{number} within its usual range"
